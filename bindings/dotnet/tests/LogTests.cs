using System;
using System.Collections.Generic;
using System.Linq;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    [TestFixture]
    public class LogTests
    {
        [Test]
        public void LibraryEventsReachTheHandlerWithoutSecrets()
        {
            var events = new List<ExchangeLogEventArgs>();
            EventHandler<ExchangeLogEventArgs> handler = (sender, e) =>
            {
                lock (events)
                {
                    events.Add(e);
                }
            };
            EventHandler<ExchangeLogEventArgs> thrower = (sender, e) => { throw new InvalidOperationException("handlers may fail"); };
            ExchangeLog.Level = ExchangeLogLevel.Debug;
            ExchangeLog.Message += thrower;
            ExchangeLog.Message += handler;
            try
            {
                using (ExchangeSession s = Sim.Open())
                {
                    s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")).Dispose();
                }
            }
            finally
            {
                ExchangeLog.Message -= handler;
                ExchangeLog.Message -= thrower;
                ExchangeLog.Level = ExchangeLogLevel.Info;
            }
            List<ExchangeLogEventArgs> seen;
            lock (events)
            {
                seen = events.ToList();
            }
            Assert.IsNotEmpty(seen);
            Assert.That(seen.All(e => e.Level >= ExchangeLogLevel.Error && e.Level <= ExchangeLogLevel.Debug));
            Assert.That(seen.Any(e => e.Target.StartsWith("monosync_exchange", StringComparison.Ordinal)), string.Join("\n", seen));
            Assert.That(seen.All(e => !e.Message.Contains(Sim.AdminPassword)));
            int after = seen.Count;
            using (ExchangeSession s = Sim.Open())
            {
            }
            lock (events)
            {
                Assert.AreEqual(after, events.Count, "no events after the handler is removed");
            }
        }
    }
}
