// Provision: the provisioning flow of docs/dotnet.md through Monosync.Exchange, the way a .NET
// host runs it.
//
//   mono Provision.exe URL [USER PASSWORD]
//
// Connects with NTLM and runs the flow twice (the second run changes nothing): enable a mailbox
// for a user that has none, set its properties, create a distribution group unless it exists
// (NotFound), add the mailbox to it (AlreadyExists on the second run). Then creates a second
// mailbox with a password (sent as a SecureString), shows a NotFound both as an error record
// and as an exception, streams every mailbox, stops a stream early, cancels a command from
// another thread, runs a command into a 1 ms time limit, and runs commands in parallel on a
// pool. Exits 0 when every step behaved as expected.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
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
        // region: logging
        // Process-wide; handlers run on any thread, the library's I/O threads included, and
        // must return quickly without calling a session.
        ExchangeLog.Level = ExchangeLogLevel.Warn;
        ExchangeLog.Message += (sender, e) => Console.Error.WriteLine("[log] " + e);
        // endregion

        ExchangeSessionOptions options = Options(
            args[0],
            args.Length == 3 ? args[1] : "CONTOSO\\Administrator",
            args.Length == 3 ? args[2] : "P@ssw0rd!");
        try
        {
            // region: run
            using (ExchangeSession session = ExchangeSession.Open(options))
            {
                string user = PickUser(session);
                string group = "net-example-group-" + Guid.NewGuid().ToString("N").Substring(0, 8);
                bool[] first = RunFlow(session, user, group); // { true, true, true }
                bool[] again = RunFlow(session, user, group); // { false, false, false }
                // endregion
                Console.WriteLine("[2] {0}: first run enabled, created, added = {1}", user, string.Join(", ", first));
                Console.WriteLine("[3] {0}: second run enabled, created, added = {1}", user, string.Join(", ", again));
                Expect(first.All(changed => changed), "the first run does every step");
                Expect(!again.Any(changed => changed), "the second run changes nothing");
                CreateWithPassword(session);
                ShowNotFound(session);
                int count = CountMailboxes(session);
                Console.WriteLine("[6] Get-Mailbox -ResultSize Unlimited, streamed: {0} mailboxes", count);
                Expect(count > 100, "every mailbox streamed");
                StreamAndStop(session);
                CancelFromAnotherThread(session);
                ExchangeRoundTrips trips = session.RoundTrips;
                Console.WriteLine("round trips: {0} WS-Management, {1} HTTP", trips.WsMan, trips.Http);
            }
            TimeLimit(options);
            PoolInParallel(options);
        }
        catch (ExchangeException e)
        {
            Console.Error.WriteLine("failed: {0} ({1}): {2}", e.GetType().Name, e.Kind, e.Message);
            return 1;
        }
        Console.WriteLine(failures == 0 ? "provision: all steps passed" : "provision: " + failures + " steps failed");
        return failures == 0 ? 0 : 1;
    }

    // region: connect
    private static ExchangeSessionOptions Options(string url, string user, string password)
    {
        return new ExchangeSessionOptions(url)
        {
            Auth = ExchangeAuthMethod.Ntlm,
            Credential = new PSCredential(user, PSCredential.Secure(password)),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // One whole command: past it the command is stopped on the server and the call
            // throws ExchangeTimeoutException.
            InvokeTimeout = TimeSpan.FromMinutes(2),
        };
    }
    // endregion

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
            if (users.Output.Count == 0)
            {
                throw new InvalidOperationException("no user without a mailbox");
            }
            return users.Output[0].GetString("Name");
        }
    }

    // region: provision
    // The flow's steps, each idempotent: run again, it finds its work done. Says what each
    // changed: the mailbox enabled, the group created, the member added.
    private static bool[] RunFlow(ExchangeSession session, string user, string group)
    {
        bool enabled = EnableMailbox(session, user);
        SetProperties(session, user);
        bool created = EnsureGroup(session, group);
        bool added = AddMember(session, group, user);
        return new[] { enabled, created, added };
    }
    // endregion

    // region: enable
    // Enables a mailbox for the user: true when it did, false when it had one already.
    // Exchange reports most failures as non-terminating error records, each with its kind.
    private static bool EnableMailbox(ExchangeSession session, string user)
    {
        using (ExchangeResult result = session.Invoke("Enable-Mailbox", P("Identity", user)))
        {
            if (result.Errors.Count == 0)
            {
                return true;
            }
            if (result.Errors[0].Kind == ExchangeErrorKind.AlreadyExists)
            {
                return false;
            }
            throw result.Errors[0].ToException();
        }
    }
    // endregion

    // region: set
    // Sets the mailbox's properties: a string, a bool and a hashtable. Setting them again
    // changes nothing.
    private static void SetProperties(ExchangeSession session, string user)
    {
        string alias;
        using (ExchangeResult read = session.Invoke("Get-Mailbox", P("Identity", user)))
        {
            read.ThrowOnError();
            alias = read.Output[0].GetString("Alias");
        }
        var parameters = P(
            "Identity", user,
            "Office", "HQ-NET",
            "CustomAttribute1", "provisioned-from-dotnet",
            "HiddenFromAddressListsEnabled", false,
            "EmailAddresses", new Dictionary<string, object> { ["Add"] = new[] { "smtp:" + alias + "-sales@contoso.com" } });
        using (ExchangeResult result = session.Invoke("Set-Mailbox", parameters))
        {
            result.ThrowOnError();
        }
    }
    // endregion

    // region: group
    // Creates the group unless it exists: true when it did. -ErrorAction Stop turns Exchange's
    // "not found" into an ExchangeNotFoundException.
    private static bool EnsureGroup(ExchangeSession session, string group)
    {
        try
        {
            session.Invoke("Get-DistributionGroup", P("Identity", group, "ErrorAction", "Stop")).Dispose();
            return false;
        }
        catch (ExchangeNotFoundException)
        {
            using (ExchangeResult created = session.Invoke("New-DistributionGroup", P("Name", group)))
            {
                created.ThrowOnError();
            }
            return true;
        }
    }

    // Adds the user to the group: true when it did, false when it was a member already.
    private static bool AddMember(ExchangeSession session, string group, string user)
    {
        using (ExchangeResult result = session.Invoke("Add-DistributionGroupMember", P("Identity", group, "Member", user)))
        {
            if (result.Errors.Count == 0)
            {
                return true;
            }
            if (result.Errors[0].Kind == ExchangeErrorKind.AlreadyExists)
            {
                return false;
            }
            throw result.Errors[0].ToException();
        }
    }
    // endregion

    // Step 4: New-Mailbox with a SecureString password and a switch.
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
            Console.WriteLine("[4] New-Mailbox {0}: {1}", alias, m["UserPrincipalName"]);
            Expect((string)m["UserPrincipalName"] == alias + "@contoso.com", "the new mailbox's UPN");
            Expect(m.TypeNames.Count > 0 && m.TypeNames[0].EndsWith("Mailbox", StringComparison.Ordinal), "a Mailbox object");
        }
    }

    // Step 5: a NotFound as a record, then as an exception under -ErrorAction Stop.
    private static void ShowNotFound(ExchangeSession session)
    {
        using (ExchangeResult r = session.Invoke("Get-Mailbox", P("Identity", "nobody-here")))
        {
            Expect(r.Errors.Count == 1 && r.Errors[0].Kind == ExchangeErrorKind.NotFound, "a NotFound record");
            Console.WriteLine("[5] record: {0}", r.Errors.Count > 0 ? r.Errors[0].Message : "-");
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

    // region: stream
    // Reads every mailbox as it arrives, never holding the whole list. Each object is valid
    // until the enumeration moves on; records of the other streams go to the callback.
    private static int CountMailboxes(ExchangeSession session)
    {
        int count = 0;
        var parameters = P("ResultSize", "Unlimited");
        foreach (ExchangeObject mailbox in session.Stream("Get-Mailbox", parameters, record => Console.Error.WriteLine(record)))
        {
            count++;
        }
        return count;
    }
    // endregion

    // Step 7: stream Get-Mailbox and stop after five objects: leaving the enumeration stops
    // the command on the server.
    private static void StreamAndStop(ExchangeSession session)
    {
        var names = session.Stream("Get-Mailbox", P("ResultSize", "Unlimited")).Take(5).Select(o => o.GetString("Name")).ToList();
        Console.WriteLine("[7] streamed and stopped: {0}", string.Join(", ", names));
        Expect(names.Count == 5, "five streamed mailboxes");
    }

    // region: cancel
    // Cancel() from another thread stops the running command on the server; the enumeration
    // (or Invoke) throws ExchangeCancelledException once the server confirms.
    private static void CancelFromAnotherThread(ExchangeSession session)
    {
        string outcome = "completed";
        try
        {
            bool first = true;
            foreach (ExchangeObject mailbox in session.Stream("Get-Mailbox", P("ResultSize", "Unlimited")))
            {
                if (first)
                {
                    // After the first mailbox, as a user's "stop" or a shutdown would.
                    Task.Run(() => session.Cancel()).Wait();
                    first = false;
                }
            }
        }
        catch (ExchangeCancelledException e)
        {
            outcome = e.Kind.ToString();
        }
        Console.WriteLine("[8] cancelled from another thread: {0}", outcome);
        Expect(outcome == "Cancelled", "the stream throws ExchangeCancelledException");
    }
    // endregion

    // region: timeout
    // A session whose commands may take 1 ms: reading every mailbox takes longer, so the
    // command is stopped on the server and Invoke throws ExchangeTimeoutException.
    private static void TimeLimit(ExchangeSessionOptions options)
    {
        options.InvokeTimeout = TimeSpan.FromMilliseconds(1);
        string outcome = "completed";
        using (ExchangeSession session = ExchangeSession.Open(options))
        {
            try
            {
                session.Invoke("Get-Mailbox", P("ResultSize", "Unlimited")).Dispose();
            }
            catch (ExchangeTimeoutException e)
            {
                outcome = e.Kind.ToString();
            }
        }
        Console.WriteLine("[9] with a 1 ms limit: {0}", outcome);
        Expect(outcome == "Timeout", "Invoke throws ExchangeTimeoutException");
    }
    // endregion

    // region: pool
    // Commands from several threads on a pool of two sessions: it runs two at a time, and
    // further callers wait for a free session.
    private static void PoolInParallel(ExchangeSessionOptions options)
    {
        options.InvokeTimeout = TimeSpan.FromMinutes(2);
        options.MaxSessions = 2;
        using (ExchangePool pool = ExchangePool.Open(options))
        {
            Task<int>[] reads = Enumerable.Range(1, 4).Select(n => Task.Run(() =>
            {
                using (ExchangeResult result = pool.Invoke("Get-Mailbox", P("ResultSize", n)))
                {
                    return result.Output.Count;
                }
            })).ToArray();
            Task.WaitAll(reads);
            ExchangePoolStats stats = pool.Stats;
            Console.WriteLine("[10] pool: 4 commands on {0} sessions", stats.Opened);
            Expect(reads.Select(t => t.Result).SequenceEqual(new[] { 1, 2, 3, 4 }), "each command's own result");
            Expect(stats.Opened >= 1 && stats.Opened <= 2, "at most two sessions");
        }
    }
    // endregion
}
