using System;
using System.Collections.Generic;
using System.Linq;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    [TestFixture]
    public class ApiTests
    {
        private ExchangeSession session;

        [TestFixtureSetUp]
        public void Open() => session = Sim.Open();

        [TestFixtureTearDown]
        public void Close() => session.Dispose();

        [Test]
        public void GetMailboxReadsPropertiesTypeNamesTextAndJson()
        {
            using (ExchangeResult r = session.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
            {
                Assert.AreEqual(1, r.Output.Count);
                ExchangeObject mbx = r.Output[0];
                Assert.AreEqual("Administrator", mbx["Name"]);
                Assert.AreEqual("Administrator", mbx.GetString("Alias"));
                StringAssert.EndsWith("Microsoft.Exchange.Data.Directory.Management.Mailbox", mbx.TypeNames[0]);
                CollectionAssert.Contains(mbx.PropertyNames, "PrimarySmtpAddress");
                Assert.AreEqual("Administrator", mbx.ToString());
                StringAssert.Contains("\"Name\":\"Administrator\"", mbx.ToJson().Replace(" ", ""));
                Assert.IsFalse(mbx.HasProperty("NoSuchProperty"));
                Assert.IsNull(mbx["NoSuchProperty"]);
                Assert.AreEqual(false, mbx["HiddenFromAddressListsEnabled"]);
                var addresses = (IList<object>)mbx["EmailAddresses"];
                Assert.That(addresses.Cast<string>().Any(a => a.StartsWith("SMTP:Administrator@", StringComparison.Ordinal)), string.Join(",", addresses));
                Assert.AreEqual(addresses.Count, mbx.GetObject("EmailAddresses").Items.Count);
                Assert.AreEqual(0, r.Errors.Count);
                // Dates come back as their ISO-8601 text, quotas as Exchange renders them.
                var created = (string)mbx["WhenCreatedUTC"];
                Assert.IsTrue(DateTime.TryParse(created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out DateTime when), created);
                Assert.Less(when, DateTime.UtcNow);
                Assert.IsInstanceOf<string>(mbx["ProhibitSendQuota"]);
            }
        }

        [Test]
        public void ParametersOfEveryTypeReachTheServer()
        {
            string name = Sim.Unique("dn");
            var created = session.Invoke("New-Mailbox", Sim.P(
                "Name", name,
                "UserPrincipalName", name + "@contoso.com",
                "Password", PSCredential.Secure("Initial!Passw0rd"),
                "ResetPasswordOnNextLogon", SwitchParameter.Present));
            using (created)
            {
                created.ThrowOnError();
                Assert.AreEqual(name + "@contoso.com", created.Output[0]["UserPrincipalName"]);
            }
            using (var set = session.Invoke("Set-Mailbox", Sim.P(
                "Identity", name,
                "Office", "HQ-Ω",
                "HiddenFromAddressListsEnabled", true,
                "EmailAddresses", new Dictionary<string, object> { ["Add"] = new[] { "smtp:" + name + "-alt@contoso.com" } })))
            {
                set.ThrowOnError();
            }
            using (var read = session.Invoke("Get-Mailbox", Sim.P("Identity", name)))
            {
                ExchangeObject m = read.Output[0];
                Assert.AreEqual("HQ-Ω", m["Office"]);
                Assert.AreEqual(true, m["HiddenFromAddressListsEnabled"]);
                CollectionAssert.Contains((IList<object>)m["EmailAddresses"], "smtp:" + name + "-alt@contoso.com");
                // The password never comes back in output JSON.
                StringAssert.DoesNotContain("Initial!Passw0rd", m.ToJson());
            }
        }

        [Test]
        public void IntegersAndResultSizeLimitOutputAndWarn()
        {
            using (ExchangeResult r = session.Invoke("Get-Mailbox", Sim.P("ResultSize", 3)))
            {
                Assert.AreEqual(3, r.Output.Count);
                Assert.AreEqual(1, r.Warnings.Count);
                StringAssert.StartsWith("There are more results available", r.Warnings[0].Message);
                Assert.AreEqual(ExchangeStream.Warning, r.Warnings[0].Stream);
            }
        }

        [Test]
        public void RecordsOutliveTheirResultButObjectsDoNot()
        {
            ExchangeResult r = session.Invoke("Get-Mailbox", Sim.P("Identity", "nobody-" + Guid.NewGuid().ToString("N")));
            ExchangeResult ok = session.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator"));
            ExchangeObject kept = ok.Output[0];
            r.Dispose();
            ok.Dispose();
            Assert.AreEqual(1, r.Errors.Count);
            Assert.AreEqual(ExchangeErrorKind.NotFound, r.Errors[0].Kind);
            Assert.Throws<ObjectDisposedException>(() => kept.ToString());
            Assert.Throws<ObjectDisposedException>(() => { object unused = kept["Name"]; });
            Assert.Throws<ObjectDisposedException>(() => { var unused = ok.Output; });
        }

        [Test]
        public void RoundTripsCountRequests()
        {
            ExchangeRoundTrips before = session.RoundTrips;
            session.Invoke("Get-Mailbox", Sim.P("ResultSize", 1)).Dispose();
            ExchangeRoundTrips after = session.RoundTrips;
            Assert.Greater(after.WsMan, before.WsMan);
            Assert.GreaterOrEqual(after.Http, after.WsMan);
        }

        [Test]
        public void ArgumentsAreCheckedBeforeTheCall()
        {
            Assert.Throws<ArgumentException>(() => session.Invoke(" "));
            Assert.Throws<ArgumentException>(() => session.Invoke("Get-Mailbox", Sim.P("Identity", "\ud800")));
            Assert.Throws<ArgumentException>(() => session.Invoke("Get-Mailbox", Sim.P("Identity", new object())));
            Assert.Throws<ArgumentException>(() => session.Invoke("Get-Mailbox", Sim.P("Credential", new PSCredential("a", PSCredential.Secure("b")))));
        }
    }
}
