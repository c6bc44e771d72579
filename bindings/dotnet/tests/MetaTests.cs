using System;
using System.Linq;
using System.Runtime.InteropServices;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    [TestFixture]
    public class MetaTests
    {
        [Test]
        public void InteropStaysInternal()
        {
            var exported = typeof(ExchangeSession).Assembly.GetExportedTypes();
            Assert.IsEmpty(exported.Where(t => t.Namespace != "Monosync.Exchange").Select(t => t.FullName));
            Assert.IsEmpty(exported.Where(t => typeof(SafeHandle).IsAssignableFrom(t)).Select(t => t.FullName));
        }

        [Test]
        public void EveryKindHasItsOwnException()
        {
            foreach (ExchangeErrorKind kind in Enum.GetValues(typeof(ExchangeErrorKind)))
            {
                ExchangeException e = ExchangeException.Create(kind, "m");
                Assert.AreEqual(kind, e.Kind);
                Assert.AreEqual("m", e.Message);
                bool specific = e.GetType() != typeof(ExchangeException);
                Assert.AreEqual((int)kind < 100, specific, kind.ToString());
                if (specific)
                {
                    Assert.AreEqual("Exchange" + kind + "Exception", e.GetType().Name);
                }
            }
            Assert.IsTrue(ExchangeException.Create(ExchangeErrorKind.Throttled, "m").IsRetryable);
            Assert.IsFalse(ExchangeException.Create(ExchangeErrorKind.NotFound, "m").IsRetryable);
        }
    }
}
