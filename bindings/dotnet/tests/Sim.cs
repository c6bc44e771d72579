using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Monosync.Exchange;
using NUnit.Framework;

namespace Monosync.Exchange.Tests
{
    /// <summary>The mx-sim servers scripts/suites/40-dotnet.sh started, and sessions to them.</summary>
    internal static class Sim
    {
        internal const string Admin = "CONTOSO\\Administrator";
        internal const string AdminPassword = "P@ssw0rd!";
        internal const string Auditor = "CONTOSO\\auditor";
        internal const string AuditorPassword = "ReadOnly1!";

        internal static string Url => Env("MX_SIM_URL");

        internal static string HttpsUrl => Env("MX_SIM_HTTPS_URL");

        /// <summary>The HTTPS server's WinRM service endpoint (<c>/wsman</c>), for jump-host mode.</summary>
        internal static string HttpsWsmanUrl => Env("MX_SIM_HTTPS_WSMAN_URL");

        internal static string SlowUrl => Env("MX_SIM_SLOW_URL");

        internal static string Sha256 => Env("MX_SIM_SHA256");

        internal static ExchangeSessionOptions Options(string url = null, string user = Admin, string password = AdminPassword)
        {
            var o = new ExchangeSessionOptions(url ?? Url) { Auth = ExchangeAuthMethod.Ntlm, UserName = user };
            o.SetPassword(password);
            return o;
        }

        internal static ExchangeSession Open(string url = null) => ExchangeSession.Open(Options(url));

        internal static Dictionary<string, object> P(params object[] pairs)
        {
            var d = new Dictionary<string, object>();
            for (int i = 0; i + 1 < pairs.Length; i += 2)
            {
                d[(string)pairs[i]] = pairs[i + 1];
            }
            return d;
        }

        /// <summary>A name no earlier run used.</summary>
        internal static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N").Substring(0, 10);

        /// <summary>Shells created minus shells deleted on the plain server, from its request log.</summary>
        internal static int OpenShells()
        {
            string[] lines = File.ReadAllLines(Env("MX_SIM_LOG"));
            Func<string, int> count = op => lines.Count(l => l.Contains("\"operation\":\"" + op + "\"") && l.Contains("\"status\":200"));
            return count("Create") - count("Delete");
        }

        private static string Env(string name)
        {
            string v = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(v))
            {
                Assert.Fail(name + " is not set: run scripts/suites/40-dotnet.sh");
            }
            return v;
        }
    }
}
