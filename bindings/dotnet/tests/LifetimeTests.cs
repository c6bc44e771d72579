using System;
using Monosync.Exchange;
using Monosync.Exchange.Core.Handles;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    /// <summary>No handle leaks: every SafeHandle is released by Dispose (never by the
    /// finalizer), and the server's shells go away with their sessions.</summary>
    [TestFixture]
    public class LifetimeTests
    {
        [Test]
        public void DisposingReleasesEveryHandleAndDeletesTheShell()
        {
            Collect();
            long live = NativeHandle.LiveCount;
            int shells = Sim.OpenShells();
            using (ExchangeSession s = Sim.Open())
            {
                Assert.AreEqual(shells + 1, Sim.OpenShells());
                for (int i = 0; i < 5; i++)
                {
                    using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("ResultSize", 2)))
                    {
                        Assert.AreEqual(2, r.Output.Count);
                        Assert.Greater(NativeHandle.LiveCount, live);
                    }
                }
                Assert.Throws<ExchangeNotFoundException>(() => s.Invoke("Get-Mailbox", Sim.P("Identity", "nobody", "ErrorAction", "Stop")));
                foreach (ExchangeObject o in s.Stream("Get-Mailbox", Sim.P("ResultSize", 5)))
                {
                    Assert.IsNotNull(o["Name"]);
                    break;
                }
            }
            Assert.AreEqual(live, NativeHandle.LiveCount, "live handles");
            Assert.AreEqual(shells, Sim.OpenShells(), "shells on the server");
            long finalized = NativeHandle.FinalizedCount;
            Collect();
            Assert.AreEqual(finalized, NativeHandle.FinalizedCount, "handles left to the finalizer");
        }

        [Test]
        public void AFailedOpenLeavesNothingBehind()
        {
            Collect();
            long live = NativeHandle.LiveCount;
            Assert.Throws<ExchangeAuthException>(() => ExchangeSession.Open(Sim.Options(password: "nope")));
            Assert.AreEqual(live, NativeHandle.LiveCount);
        }

        private static void Collect()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
    }
}
