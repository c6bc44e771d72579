using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    /// <summary>Several threads on one session, streaming, cancel and the async variants.</summary>
    [TestFixture]
    public class ConcurrencyTests
    {
        [Test]
        public void EightThreadsShareOneSession()
        {
            using (ExchangeSession s = Sim.Open())
            {
                var failures = new List<Exception>();
                var names = new HashSet<string>();
                var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("ResultSize", 1 + t)))
                            {
                                Assert.AreEqual(1 + t, r.Output.Count);
                                lock (names)
                                {
                                    names.Add((string)r.Output[t]["Name"]);
                                }
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
                threads.ForEach(th => th.Start());
                threads.ForEach(th => th.Join());
                Assert.IsEmpty(failures, string.Join("\n", failures));
                Assert.AreEqual(8, names.Count);
            }
        }

        [Test]
        public void StreamingALargeResultYieldsEveryObjectInOrder()
        {
            using (ExchangeSession s = Sim.Open())
            {
                int expected;
                var first = new List<string>();
                using (ExchangeResult all = s.Invoke("Get-Recipient", Sim.P("ResultSize", "Unlimited")))
                {
                    expected = all.Output.Count;
                    first.AddRange(all.Output.Take(3).Select(o => (string)o["Name"]));
                }
                Assert.Greater(expected, 1000);
                int n = 0;
                var streamed = new List<string>();
                var records = new List<ExchangeRecord>();
                foreach (ExchangeObject o in s.Stream("Get-Recipient", Sim.P("ResultSize", "Unlimited"), records.Add))
                {
                    if (n < 3)
                    {
                        streamed.Add((string)o["Name"]);
                    }
                    n++;
                }
                Assert.AreEqual(expected, n);
                CollectionAssert.AreEqual(first, streamed);
                Assert.IsEmpty(records);
            }
        }

        [Test]
        public void StreamedObjectsExpireAndEarlyStopsLeaveTheSessionUsable()
        {
            using (ExchangeSession s = Sim.Open())
            {
                var warnings = new List<ExchangeRecord>();
                ExchangeObject previous = null;
                int n = 0;
                foreach (ExchangeObject o in s.Stream("Get-Mailbox", Sim.P("ResultSize", 20), warnings.Add))
                {
                    if (previous != null)
                    {
                        Assert.Throws<ObjectDisposedException>(() => previous.ToString());
                    }
                    Assert.Throws<InvalidOperationException>(() => s.Invoke("Get-Mailbox"));
                    Assert.Throws<InvalidOperationException>(() => { var unused = s.RoundTrips; });
                    Assert.Throws<InvalidOperationException>(s.Close);
                    previous = o;
                    if (++n == 10)
                    {
                        break;
                    }
                }
                Assert.AreEqual(10, n);
                using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
                // A stream read to its end delivers its warnings.
                int count = s.Stream("Get-Mailbox", Sim.P("ResultSize", 2), warnings.Add).Count();
                Assert.AreEqual(2, count);
                Assert.AreEqual(1, warnings.Count);
            }
        }

        [Test]
        public void StoppingALargeStreamAnywhereLeavesTheSessionUsable()
        {
            using (ExchangeSession s = Sim.Open())
            {
                foreach (int stopAt in new[] { 1, 100, 400, 777 })
                {
                    int n = s.Stream("Get-Recipient", Sim.P("ResultSize", "Unlimited")).Take(stopAt).Count();
                    Assert.AreEqual(stopAt, n);
                    using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
                    {
                        Assert.AreEqual("Administrator", r.Output[0]["Name"], "after a stop at " + stopAt);
                    }
                }
            }
        }

        [Test]
        public void StreamFailuresSurfaceAsExceptions()
        {
            using (ExchangeSession s = Sim.Open())
            {
                Assert.Throws<ExchangeInvalidParameterException>(() => s.Stream("Get-Mailbox", Sim.P("Bogus", 1)).ToList());
            }
        }

        // The slow server holds every Receive for 300 ms before answering: a cancel 150 ms
        // after the start lands while the first Receive waits, before any output arrived.
        [Test]
        public void CancelFromAnotherThreadStopsAStream()
        {
            using (ExchangeSession s = Sim.Open(Sim.SlowUrl))
            {
                int n = 0;
                var watch = Stopwatch.StartNew();
                var canceller = new Thread(() =>
                {
                    Thread.Sleep(150);
                    s.Cancel();
                });
                var e = Assert.Throws<ExchangeCancelledException>(() =>
                {
                    canceller.Start();
                    foreach (ExchangeObject o in s.Stream("Get-Recipient", Sim.P("ResultSize", "Unlimited")))
                    {
                        n++;
                    }
                });
                canceller.Join();
                Assert.AreEqual(ExchangeErrorKind.Cancelled, e.Kind);
                Assert.AreEqual(0, n);
                Assert.Less(watch.Elapsed, TimeSpan.FromSeconds(20));
                using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
            }
        }

        [Test]
        public void CancelInTheMiddleOfAStream()
        {
            using (ExchangeSession s = Sim.Open(Sim.SlowUrl))
            {
                int n = 0;
                var e = Assert.Throws<ExchangeCancelledException>(() =>
                {
                    foreach (ExchangeObject o in s.Stream("Get-Recipient", Sim.P("ResultSize", "Unlimited")))
                    {
                        if (n++ == 0)
                        {
                            new Thread(s.Cancel).Start();
                        }
                    }
                });
                Assert.AreEqual(ExchangeErrorKind.Cancelled, e.Kind);
                Assert.Greater(n, 0);
                Assert.Less(n, 1000);
                using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
            }
        }

        [Test]
        public void InvokeAsyncReturnsTheResult()
        {
            using (ExchangeSession s = ExchangeSession.OpenAsync(Sim.Options()).Result)
            {
                Task<ExchangeResult>[] tasks = Enumerable.Range(1, 4)
                    .Select(i => s.InvokeAsync("Get-Mailbox", Sim.P("ResultSize", i)))
                    .ToArray();
                Task.WaitAll(tasks);
                for (int i = 0; i < tasks.Length; i++)
                {
                    using (ExchangeResult r = tasks[i].Result)
                    {
                        Assert.AreEqual(i + 1, r.Output.Count);
                    }
                }
                var failed = s.InvokeAsync("Get-Mailbox", Sim.P("Identity", "nobody", "ErrorAction", "Stop"));
                var e = Assert.Throws<AggregateException>(() => failed.Wait());
                Assert.IsInstanceOf<ExchangeNotFoundException>(e.InnerException);
            }
        }

        [Test]
        public void CancellationTokenStopsTheCommandOnTheServer()
        {
            using (ExchangeSession s = Sim.Open(Sim.SlowUrl))
            using (var cts = new CancellationTokenSource())
            {
                var watch = Stopwatch.StartNew();
                Task<ExchangeResult> t = s.InvokeAsync("Get-Recipient", Sim.P("ResultSize", "Unlimited"), cts.Token);
                cts.CancelAfter(150);
                var e = Assert.Throws<AggregateException>(() => t.Wait());
                Assert.IsInstanceOf<OperationCanceledException>(e.InnerException);
                Assert.IsTrue(t.IsCanceled);
                Assert.Less(watch.Elapsed, TimeSpan.FromSeconds(30));
                using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
                Task<ExchangeResult> early = s.InvokeAsync("Get-Mailbox", null, new CancellationToken(true));
                Assert.Throws<AggregateException>(() => early.Wait());
                Assert.IsTrue(early.IsCanceled);
            }
        }
    }
}
