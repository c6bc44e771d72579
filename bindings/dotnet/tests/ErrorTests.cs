using System;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    [TestFixture]
    public class ErrorTests
    {
        [Test]
        public void AnUnreadableKeytabIsAnAuthErrorNamingTheFile()
        {
            ExchangeSessionOptions o = Sim.Options();
            o.Auth = ExchangeAuthMethod.Negotiate;
            o.Keytab = "/nonexistent/mx-dotnet-test.keytab";
            var e = Assert.Throws<ExchangeAuthException>(() => ExchangeSession.Open(o).Dispose());
            StringAssert.Contains("/nonexistent/mx-dotnet-test.keytab", e.Message);
        }

        [Test]
        public void NotFoundIsARecordThenAnExceptionUnderErrorActionStop()
        {
            using (ExchangeSession s = Sim.Open())
            {
                using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "nobody-here")))
                {
                    Assert.AreEqual(0, r.Output.Count);
                    Assert.AreEqual(ExchangeErrorKind.NotFound, r.Errors[0].Kind);
                    StringAssert.EndsWith("GetMailbox", r.Errors[0].FullyQualifiedErrorId);
                    Assert.Throws<ExchangeNotFoundException>(r.ThrowOnError);
                }
                var e = Assert.Throws<ExchangeNotFoundException>(
                    () => s.Invoke("Get-Mailbox", Sim.P("Identity", "nobody-here", "ErrorAction", "Stop")));
                Assert.AreEqual(ExchangeErrorKind.NotFound, e.Kind);
                StringAssert.Contains("nobody-here", e.Message);
                StringAssert.EndsWith("GetMailbox", e.FullyQualifiedErrorId);
                Assert.AreEqual("Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException", e.ExceptionType);
                Assert.IsFalse(e.IsRetryable);
            }
        }

        [Test]
        public void AlreadyExists()
        {
            using (ExchangeSession s = Sim.Open())
            {
                string name = Sim.Unique("dup");
                var p = Sim.P("Name", name, "UserPrincipalName", name + "@contoso.com", "Password", PSCredential.Secure("Initial!Passw0rd"), "ErrorAction", "Stop");
                s.Invoke("New-Mailbox", p).Dispose();
                var e = Assert.Throws<ExchangeAlreadyExistsException>(() => s.Invoke("New-Mailbox", p));
                Assert.AreEqual(ExchangeErrorKind.AlreadyExists, e.Kind);
                Assert.IsNotNull(e.FullyQualifiedErrorId);
            }
        }

        [Test]
        public void AccessDeniedForTheAuditor()
        {
            using (ExchangeSession s = ExchangeSession.Open(Sim.Options(user: Sim.Auditor, password: Sim.AuditorPassword)))
            {
                using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
                {
                    Assert.AreEqual(1, r.Output.Count);
                }
                var e = Assert.Throws<ExchangeAccessDeniedException>(
                    () => s.Invoke("Set-Mailbox", Sim.P("Identity", "Administrator", "Office", "X", "ErrorAction", "Stop")));
                Assert.AreEqual(ExchangeErrorKind.AccessDenied, e.Kind);
            }
        }

        [Test]
        public void InvalidParameter()
        {
            using (ExchangeSession s = Sim.Open())
            {
                var e = Assert.Throws<ExchangeInvalidParameterException>(
                    () => s.Invoke("Get-Mailbox", Sim.P("NoSuchParameter", "x")));
                StringAssert.Contains("NoSuchParameter", e.Message);
            }
        }

        [Test]
        public void OpenTimeoutEndsAnOpenThatGetsNoAnswer()
        {
            // The kernel accepts the connection into the backlog; nothing ever answers.
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
                ExchangeSessionOptions options = Sim.Options(url: "http://127.0.0.1:" + port + "/PowerShell/");
                options.OpenTimeout = TimeSpan.FromMilliseconds(500);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var e = Assert.Throws<ExchangeTimeoutException>(() => ExchangeSession.Open(options));
                Assert.Less(watch.Elapsed, TimeSpan.FromSeconds(5));
                Assert.AreEqual(ExchangeErrorKind.Timeout, e.Kind);
                StringAssert.Contains("did not open within", e.Message);
            }
            finally
            {
                listener.Stop();
            }
        }

        [Test]
        public void WrongPasswordIsAuth()
        {
            var e = Assert.Throws<ExchangeAuthException>(
                () => ExchangeSession.Open(Sim.Options(password: "wrong-password")));
            Assert.AreEqual(ExchangeErrorKind.Auth, e.Kind);
        }

        [Test]
        public void WrongPinIsTlsAndTheRightPinConnects()
        {
            var wrong = Sim.Options(Sim.HttpsUrl);
            wrong.PinnedThumbprints.Add(new string('a', 64));
            Assert.Throws<ExchangeTlsException>(() => ExchangeSession.Open(wrong));

            var right = Sim.Options(Sim.HttpsUrl);
            right.PinnedThumbprints.Add(Sim.Sha256);
            using (ExchangeSession s = ExchangeSession.Open(right))
            using (ExchangeResult r = s.Invoke("Get-Mailbox", Sim.P("Identity", "Administrator")))
            {
                Assert.AreEqual("Administrator", r.Output[0]["Name"]);
            }
        }

        [Test]
        public void UnusableOptionsAreConfigAndMalformedValuesInvalidArguments()
        {
            Assert.Throws<ExchangeConfigException>(() => ExchangeSession.Open(Sim.Options("not a url")));
            var bad = Sim.Options();
            bad.Resolve.Add("ex01:notaport:10.0.0.1");
            var e = Assert.Throws<ExchangeException>(() => ExchangeSession.Open(bad));
            Assert.AreEqual(ExchangeErrorKind.InvalidArgument, e.Kind);
        }

        [Test]
        public void ClosedSessionsRefuseCommands()
        {
            ExchangeSession s = Sim.Open();
            s.Close();
            Assert.Throws<ExchangeConfigException>(() => s.Invoke("Get-Mailbox"));
            s.Dispose();
            s.Dispose();
        }
    }
}
