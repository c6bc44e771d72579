using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    /// <summary>ExchangePool: failover past a dead first server, many threads on few sessions,
    /// streams beside other callers, cancellation from another thread, jump-host mode, and
    /// refused options.</summary>
    [TestFixture]
    public class PoolTests
    {
        /// <summary>A URL where nothing listens: a port bound and released.</summary>
        private static string DeadUrl()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return "http://127.0.0.1:" + port + "/PowerShell/";
        }

        [Test]
        public void ThreadsShareAPoolWhoseFirstServerIsDead()
        {
            int before = Sim.OpenShells();
            ExchangeSessionOptions o = Sim.Options(DeadUrl()).AddServer(Sim.Url);
            o.MaxSessions = 3;
            using (ExchangePool pool = ExchangePool.Open(o))
            {
                var failures = new List<Exception>();
                int answered = 0;
                int mostShells = 0;
                var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            using (ExchangeResult r = pool.Invoke("Get-Mailbox", Sim.P("ResultSize", 2)))
                            {
                                Assert.AreEqual(2, r.Output.Count);
                                Assert.IsNotNull(r.Output[0]["Name"]);
                                Interlocked.Increment(ref answered);
                            }
                            int shells = Sim.OpenShells() - before;
                            lock (failures)
                            {
                                mostShells = Math.Max(mostShells, shells);
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        lock (failures)
                        {
                            failures.Add(e);
                        }
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                Assert.IsEmpty(failures, string.Join("\n", failures));
                Assert.AreEqual(24, answered);
                Assert.That(mostShells, Is.InRange(1, 3));

                ExchangePoolStats stats = pool.Stats;
                Assert.That(stats.Opened, Is.InRange(1UL, 3UL));
                Assert.AreEqual(2, stats.OpenedPerServer.Count);
                Assert.AreEqual(0UL, stats.OpenedPerServer[0], "nothing opens on the dead server");
                Assert.AreEqual(stats.Opened, stats.OpenedPerServer[1]);
                Assert.AreEqual(stats.Sessions, stats.Idle, "every session is back");
                Assert.AreEqual(0UL, stats.Retries, "failover happens while opening");

                pool.Close();
                Assert.AreEqual(before, Sim.OpenShells(), "closing deletes every shell");
                Assert.Throws<ExchangeConfigException>(() => pool.Invoke("Get-Mailbox"));
            }
        }

        [Test]
        public void InvokeAsyncRunsOnThePool()
        {
            ExchangeSessionOptions o = Sim.Options();
            o.MaxSessions = 2;
            using (ExchangePool pool = ExchangePool.Open(o))
            {
                Task<ExchangeResult>[] tasks = Enumerable.Range(1, 4)
                    .Select(n => pool.InvokeAsync("Get-Mailbox", Sim.P("ResultSize", n)))
                    .ToArray();
                Task.WaitAll(tasks);
                for (int n = 1; n <= 4; n++)
                {
                    using (ExchangeResult r = tasks[n - 1].Result)
                    {
                        Assert.AreEqual(n, r.Output.Count);
                    }
                }
                Assert.That(pool.Stats.Opened, Is.InRange(1UL, 2UL));
                var cancelled = new CancellationTokenSource();
                cancelled.Cancel();
                Task<ExchangeResult> t = pool.InvokeAsync("Get-Mailbox", null, cancelled.Token);
                Assert.Throws<AggregateException>(() => t.Wait());
                Assert.IsTrue(t.IsCanceled);
            }
        }

        [Test]
        public void SessionsAndPoolsRunThroughOneInvoker()
        {
            using (ExchangeSession session = Sim.Open())
            using (ExchangePool pool = ExchangePool.Open(Sim.Options()))
            {
                foreach (ExchangeInvoker invoker in new ExchangeInvoker[] { session, pool })
                {
                    int progress = 0;
                    EventHandler<ExchangeProgressRecord> count = (sender, record) => Interlocked.Increment(ref progress);
                    invoker.Progress += count;
                    using (var cts = new CancellationTokenSource())
                    using (ExchangeResult r = invoker.Invoke("Get-Mailbox", Sim.P("ResultSize", 3), cts.Token))
                    {
                        Assert.AreEqual(3, r.Output.Count);
                    }
                    Assert.AreEqual(2, invoker.Stream("Get-Mailbox", Sim.P("ResultSize", 2)).Count());
                    invoker.Progress -= count;
                    // The simulator reports no progress for Get-Mailbox.
                    Assert.AreEqual(0, progress);
                    Assert.Throws<OperationCanceledException>(() => invoker.Invoke("Get-Mailbox", null, new CancellationToken(true)));
                }
            }
        }

        [Test]
        public void AStreamHoldsOneSessionWhileTheThreadUsesTheOther()
        {
            int before = Sim.OpenShells();
            ExchangeSessionOptions o = Sim.Options();
            o.MaxSessions = 2;
            using (ExchangePool pool = ExchangePool.Open(o))
            {
                int expected;
                using (ExchangeResult all = pool.Invoke("Get-Mailbox", Sim.P("ResultSize", "Unlimited")))
                {
                    expected = all.Output.Count;
                }
                Assert.That(expected, Is.GreaterThan(500));
                int seen = 0;
                int mostShells = 0;
                foreach (ExchangeObject mailbox in pool.Stream("Get-Mailbox", Sim.P("ResultSize", "Unlimited")))
                {
                    Assert.IsNotNull(mailbox["SamAccountName"]);
                    seen++;
                    if (seen == 100)
                    {
                        // Unlike a session's, a pool's stream leaves the thread free to call it.
                        using (ExchangeResult one = pool.Invoke("Get-Mailbox", Sim.P("ResultSize", 1)))
                        {
                            Assert.AreEqual(1, one.Output.Count);
                        }
                        mostShells = Sim.OpenShells() - before;
                    }
                }
                Assert.AreEqual(expected, seen);
                Assert.That(mostShells, Is.InRange(1, 2));
                ExchangePoolStats stats = pool.Stats;
                Assert.That(stats.Opened, Is.InRange(1UL, 2UL));
                Assert.AreEqual(0UL, stats.Discarded);
                Assert.AreEqual(stats.Sessions, stats.Idle, "the stream's session is back");
            }
            Assert.AreEqual(before, Sim.OpenShells(), "closing deletes every shell");
        }

        [Test]
        public void CancellingAPoolStreamFromAnotherThreadClosesItsSession()
        {
            ExchangeSessionOptions o = Sim.Options(Sim.SlowUrl);
            o.MaxSessions = 2;
            using (ExchangePool pool = ExchangePool.Open(o))
            using (var cts = new CancellationTokenSource())
            {
                int seen = 0;
                Assert.Throws<OperationCanceledException>(() =>
                {
                    foreach (ExchangeObject mailbox in pool.Stream("Get-Mailbox", Sim.P("ResultSize", "Unlimited"), null, cts.Token))
                    {
                        Assert.IsNotNull(mailbox["Name"]);
                        if (++seen == 20)
                        {
                            new Thread(cts.Cancel).Start();
                        }
                    }
                });
                Assert.That(seen, Is.InRange(20, 1499));
                Assert.AreEqual(1UL, pool.Stats.Discarded, "the cancelled stream's session was closed");

                // Leaving the enumeration early stops the command too.
                int taken = pool.Stream("Get-Mailbox", Sim.P("ResultSize", "Unlimited")).Take(5).Count();
                Assert.AreEqual(5, taken);
                // That stop runs in the background, after the enumeration returned.
                for (int i = 0; i < 500 && pool.Stats.Discarded < 2; i++)
                {
                    Thread.Sleep(20);
                }
                Assert.AreEqual(2UL, pool.Stats.Discarded);

                // The pool stays usable.
                using (ExchangeResult r = pool.Invoke("Get-Mailbox", Sim.P("ResultSize", 1)))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
                Assert.That(pool.Stats.Sessions, Is.InRange(1UL, 2UL));
            }
        }

        [Test]
        public void ACancellationTokenStopsAPoolCommandOnTheServer()
        {
            ExchangeSessionOptions o = Sim.Options(Sim.SlowUrl);
            o.MaxSessions = 1;
            using (ExchangePool pool = ExchangePool.Open(o))
            using (var cts = new CancellationTokenSource())
            {
                Task<ExchangeResult> t = pool.InvokeAsync("Get-Mailbox", Sim.P("ResultSize", "Unlimited"), cts.Token);
                cts.CancelAfter(150);
                var e = Assert.Throws<AggregateException>(() => t.Wait());
                Assert.IsInstanceOf<OperationCanceledException>(e.InnerException);
                Assert.IsTrue(t.IsCanceled);
                Assert.AreEqual(0UL, pool.Stats.Retries, "a cancelled command is not sent again");
                using (ExchangeResult r = pool.Invoke("Get-Mailbox", Sim.P("ResultSize", 1), CancellationToken.None))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
            }
        }

        [Test]
        public void JumpHostModeReachesExchangeThroughWsman()
        {
            var o = new ExchangeSessionOptions(Sim.HttpsWsmanUrl) { Auth = ExchangeAuthMethod.Basic, UserName = "Administrator" };
            o.SetPassword(Sim.AdminPassword);
            o.PinnedThumbprints.Add(Sim.Sha256);
            o.UseJumpHost("http://ex01.contoso.com/PowerShell/", new PSCredential("CONTOSO\\recipientadmin", PSCredential.Secure("Recipients1!")));
            using (ExchangeSession s = ExchangeSession.Open(o))
            using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "justin.martin")))
            {
                Assert.AreEqual(1, r.Output.Count);
                Assert.AreEqual("justin.martin", r.Output[0]["SamAccountName"]);
                Assert.AreEqual("Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox", r.Output[0].TypeNames[0]);
            }
            using (ExchangePool pool = ExchangePool.Open(o))
            using (ExchangeResult r = pool.Invoke("Get-Mailbox", Sim.P("Identity", "justin.martin")))
            {
                Assert.AreEqual("justin.martin", r.Output[0]["SamAccountName"]);
                Assert.AreEqual(1UL, pool.Stats.Opened);
            }
            o.UseJumpHost("http://ex01.contoso.com/PowerShell/", new PSCredential("CONTOSO\\recipientadmin", PSCredential.Secure("wrong")));
            var e = Assert.Throws<ExchangeAccessDeniedException>(() => ExchangeSession.Open(o).Dispose());
            StringAssert.DoesNotContain("wrong", e.Message);
        }

        [Test]
        public void BadPoolOptionsAreRefused()
        {
            ExchangeSessionOptions o = Sim.Options();
            Assert.Throws<ArgumentOutOfRangeException>(() => o.MaxSessions = 0);
            Assert.Throws<ArgumentOutOfRangeException>(() => o.MaxSessions = 17);
            o.MaxSessions = 16;
            Assert.AreEqual(16, o.MaxSessions);
            Assert.Throws<ArgumentException>(() => o.AddServer(" "));
            Assert.Throws<ArgumentException>(() => o.UseJumpHost("", new PSCredential("u", PSCredential.Secure("p"))));
            Assert.Throws<ArgumentNullException>(() => o.UseJumpHost("http://ex01/PowerShell/", null));
            o.AddServer("ftp://ex02.contoso.com/");
            Assert.Throws<ExchangeConfigException>(() => ExchangePool.Open(o).Dispose());
        }
    }
}
