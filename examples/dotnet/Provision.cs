// Provision: a mailbox end to end through Monosync.Exchange, the way a .NET host would.
//
//   mono Provision.exe URL [USER PASSWORD]
//
// Connects with NTLM, picks a user without a mailbox and enables one, sets its properties,
// creates a second mailbox with a password (sent as a SecureString), reads both back, shows a
// NotFound both as an error record and as an exception, and last streams Get-Mailbox and stops
// early. Exits 0 when every step behaved as expected.
using System;
using System.Collections.Generic;
using System.Linq;
using Monosync.Exchange;

internal static class Provision
{
    private static int failures;

    private static int Main(string[] args)
    {
        if (args.Length != 1 && args.Length != 3)
        {
            Console.Error.WriteLine("usage: Provision.exe URL [USER PASSWORD]");
            return 2;
        }
        ExchangeLog.Level = ExchangeLogLevel.Warn;
        ExchangeLog.Message += (sender, e) => Console.Error.WriteLine("[log] " + e);

        var options = new ExchangeSessionOptions(args[0])
        {
            Auth = ExchangeAuthMethod.Ntlm,
            Credential = new PSCredential(
                args.Length == 3 ? args[1] : "CONTOSO\\Administrator",
                PSCredential.Secure(args.Length == 3 ? args[2] : "P@ssw0rd!")),
            InvokeTimeout = TimeSpan.FromMinutes(2),
        };
        try
        {
            using (ExchangeSession session = ExchangeSession.Open(options))
            {
                string user = PickUser(session);
                if (user != null)
                {
                    EnableAndSet(session, user);
                }
                CreateWithPassword(session);
                ShowNotFound(session);
                ExchangeRoundTrips trips = session.RoundTrips;
                Console.WriteLine("round trips: {0} WS-Management, {1} HTTP", trips.WsMan, trips.Http);
                StreamAndStop(session);
            }
        }
        catch (ExchangeException e)
        {
            Console.Error.WriteLine("failed: {0} ({1}): {2}", e.GetType().Name, e.Kind, e.Message);
            return 1;
        }
        Console.WriteLine(failures == 0 ? "provision: all steps passed" : "provision: " + failures + " steps failed");
        return failures == 0 ? 0 : 1;
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            Console.Error.WriteLine("unexpected: " + what);
            failures++;
        }
    }

    private static Dictionary<string, object> P(params object[] pairs)
    {
        var d = new Dictionary<string, object>();
        for (int i = 0; i + 1 < pairs.Length; i += 2)
        {
            d[(string)pairs[i]] = pairs[i + 1];
        }
        return d;
    }

    // Step 1: the first user without a mailbox.
    private static string PickUser(ExchangeSession session)
    {
        using (ExchangeResult users = session.Invoke("Get-User", P("RecipientTypeDetails", "User")))
        {
            Console.WriteLine("[1] Get-User -RecipientTypeDetails User: {0} users without a mailbox", users.Output.Count);
            Expect(users.Output.Count > 0, "a user without a mailbox");
            return users.Output.Count > 0 ? users.Output[0].GetString("Name") : null;
        }
    }

    // Step 2: Enable-Mailbox, then Set-Mailbox with a string, a bool and a hashtable.
    private static void EnableAndSet(ExchangeSession session, string name)
    {
        using (ExchangeResult enabled = session.Invoke("Enable-Mailbox", P("Identity", name)))
        {
            enabled.ThrowOnError();
            Console.WriteLine("[2] Enable-Mailbox {0}: {1}", name, enabled.Output[0]["RecipientTypeDetails"]);
        }
        string alias;
        using (ExchangeResult read = session.Invoke("Get-Mailbox", P("Identity", name)))
        {
            alias = read.Output[0].GetString("Alias");
        }
        string extra = "smtp:" + alias + "-sales@contoso.com";
        session.Invoke("Set-Mailbox", P(
            "Identity", name,
            "Office", "HQ-NET",
            "CustomAttribute1", "provisioned-from-dotnet",
            "HiddenFromAddressListsEnabled", false,
            "EmailAddresses", new Dictionary<string, object> { ["Add"] = new[] { extra } })).Dispose();
        using (ExchangeResult read = session.Invoke("Get-Mailbox", P("Identity", name)))
        {
            ExchangeObject m = read.Output[0];
            Console.WriteLine("    Office {0}, CustomAttribute1 {1}", m["Office"], m["CustomAttribute1"]);
            Expect((string)m["Office"] == "HQ-NET", "Office set");
            Expect(((IList<object>)m["EmailAddresses"]).Contains(extra), "the extra address added");
        }
    }

    // Step 3: New-Mailbox with a SecureString password and a switch.
    private static void CreateWithPassword(ExchangeSession session)
    {
        string alias = "net" + Guid.NewGuid().ToString("N").Substring(0, 8);
        using (ExchangeResult created = session.Invoke("New-Mailbox", P(
            "Name", alias,
            "UserPrincipalName", alias + "@contoso.com",
            "Password", PSCredential.Secure("Initial!Passw0rd"),
            "ResetPasswordOnNextLogon", SwitchParameter.Present)))
        {
            created.ThrowOnError();
            ExchangeObject m = created.Output[0];
            Console.WriteLine("[3] New-Mailbox {0}: {1}", alias, m["UserPrincipalName"]);
            Expect((string)m["UserPrincipalName"] == alias + "@contoso.com", "the new mailbox's UPN");
            Expect(m.TypeNames.Count > 0 && m.TypeNames[0].EndsWith("Mailbox", StringComparison.Ordinal), "a Mailbox object");
        }
    }

    // Step 5: stream Get-Mailbox and stop after five objects.
    private static void StreamAndStop(ExchangeSession session)
    {
        var names = session.Stream("Get-Mailbox", P("ResultSize", "Unlimited")).Take(5).Select(o => o.GetString("Name")).ToList();
        Console.WriteLine("[5] streamed and stopped: {0}", string.Join(", ", names));
        Expect(names.Count == 5, "five streamed mailboxes");
    }

    // Step 4: a NotFound as a record, then as an exception under -ErrorAction Stop.
    private static void ShowNotFound(ExchangeSession session)
    {
        using (ExchangeResult r = session.Invoke("Get-Mailbox", P("Identity", "nobody-here")))
        {
            Expect(r.Errors.Count == 1 && r.Errors[0].Kind == ExchangeErrorKind.NotFound, "a NotFound record");
            Console.WriteLine("[4] record: {0}", r.Errors.Count > 0 ? r.Errors[0].Message : "-");
        }
        try
        {
            session.Invoke("Get-Mailbox", P("Identity", "nobody-here", "ErrorAction", "Stop")).Dispose();
            Expect(false, "a NotFound exception");
        }
        catch (ExchangeNotFoundException e)
        {
            Console.WriteLine("    exception: {0}", e.FullyQualifiedErrorId);
        }
    }
}
