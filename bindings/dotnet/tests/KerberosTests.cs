using System;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    /// <summary>The realm option and the KDC proxy from .NET. The proxy tests need the environment of
    /// tests/kdc/start-kdc.sh and start-kdcproxy.sh (MX_KRB5_USER, MX_KRB5_REALM, MX_KRB5_PASSWORD,
    /// MX_KDC_PROXY_URL, MX_KDC_PROXY_CA); without it they are ignored.</summary>
    [TestFixture]
    public class KerberosTests
    {
        private static string Env(string name)
        {
            string v = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(v))
            {
                Assert.Ignore(name + " is not set: start tests/kdc/start-kdc.sh and start-kdcproxy.sh");
            }
            return v;
        }

        /// <summary>Kerberos options for the plain simulator, named <c>localhost</c> (an SPN the test realm has).</summary>
        private static ExchangeSessionOptions KerberosOptions()
        {
            string user = Env("MX_KRB5_USER");
            string realm = Env("MX_KRB5_REALM");
            var url = new UriBuilder(Sim.Url) { Host = "localhost" }.Uri.ToString();
            var o = new ExchangeSessionOptions(url)
            {
                Auth = ExchangeAuthMethod.Kerberos,
                UserName = user + "@" + realm,
                Realm = realm,
            };
            o.SetPassword(Env("MX_KRB5_PASSWORD"));
            return o;
        }

        [Test]
        public void AMalformedRealmIsAnInvalidArgument()
        {
            var o = Sim.Options();
            o.Realm = "not a realm";
            var e = Assert.Throws<ExchangeException>(() => ExchangeSession.Open(o));
            Assert.AreEqual(ExchangeErrorKind.InvalidArgument, e.Kind);
            StringAssert.Contains("not a realm", e.Message);
        }

        [Test]
        public void TheKdcProxyCertificateIsVerified()
        {
            var o = KerberosOptions();
            o.Kdc = Env("MX_KDC_PROXY_URL");
            // Switching off the Exchange server's certificate checks does not reach the proxy.
            o.Insecure = true;
            var e = Assert.Throws<ExchangeTlsException>(() => ExchangeSession.Open(o));
            StringAssert.Contains("not trusted", e.Message);
        }

        [Test]
        public void TheKdcProxyIssuesTheTicketWithItsCa()
        {
            var o = KerberosOptions();
            o.Kdc = Env("MX_KDC_PROXY_URL");
            o.CaFile = Env("MX_KDC_PROXY_CA");
            // The ticket comes through the proxy; the plain simulator does not take Kerberos, so
            // the server (not the KDC, not TLS) is what refuses.
            var e = Assert.Throws<ExchangeAuthException>(() => ExchangeSession.Open(o));
            StringAssert.Contains("the server rejected the credentials", e.Message);
        }
    }
}
