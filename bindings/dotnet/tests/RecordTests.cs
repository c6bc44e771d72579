using System;
using System.IO;
using System.Text;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    [TestFixture]
    public class RecordTests
    {
        [Test]
        public void RecordWritesTheConversationWithoutTheSecrets()
        {
            const string secret = "Rec0rded!Passw0rd";
            string dir = Path.Combine(Path.GetTempPath(), Sim.Unique("mx-record"));
            Directory.CreateDirectory(dir);
            string path = Path.Combine(dir, "session.yml");
            try
            {
                ExchangeSessionOptions options = Sim.Options();
                Assert.IsNull(options.Record);
                options.Record = path;
                string name = Sim.Unique("rec");
                using (ExchangeSession session = ExchangeSession.Open(options))
                using (ExchangeResult r = session.Invoke("New-Mailbox", Sim.P(
                    "Name", name,
                    "UserPrincipalName", name + "@contoso.com",
                    "Password", PSCredential.Secure(secret))))
                {
                    r.ThrowOnError();
                }
                string text = File.ReadAllText(path, Encoding.UTF8);
                StringAssert.StartsWith("# ", text);
                StringAssert.Contains("\nmessages:\n- request: ", text);
                foreach (string s in new[] { secret, Sim.AdminPassword })
                {
                    foreach (byte[] raw in new[] { Encoding.UTF8.GetBytes(s), Encoding.Unicode.GetBytes(s) })
                    {
                        StringAssert.DoesNotContain(Encoding.UTF8.GetString(raw), text);
                        StringAssert.DoesNotContain(Convert.ToBase64String(raw).TrimEnd('='), text);
                        StringAssert.DoesNotContain(BitConverter.ToString(raw).Replace("-", ""), text);
                        StringAssert.DoesNotContain(BitConverter.ToString(raw).Replace("-", "").ToLowerInvariant(), text);
                    }
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Test]
        public void AnUnwritableRecordPathFailsTheOpen()
        {
            ExchangeSessionOptions options = Sim.Options();
            options.Record = Path.Combine(Path.GetTempPath(), Sim.Unique("no-such-dir"), "session.yml");
            var e = Assert.Throws<ExchangeConfigException>(() => ExchangeSession.Open(options).Dispose());
            StringAssert.Contains("no-such-dir", e.Message);
        }
    }
}
