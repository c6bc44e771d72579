// Generated from the core's table of error kinds (core/src/error/kind.rs) by
// scripts/error-kinds.sh --write; do not edit by hand.
namespace Monosync.Exchange
{
    /// <summary>
    /// What went wrong, as the library classifies it: what a caller decides on (retry, report,
    /// fix the input). The numbers are the C library's result codes and never change.
    /// </summary>
    public enum ExchangeErrorKind
    {
        /// <summary>The object the command names does not exist (ManagementObjectNotFoundException).</summary>
        NotFound = 1,
        /// <summary>The identity matches more than one object (ManagementObjectAmbiguousException).</summary>
        Ambiguous = 2,
        /// <summary>The object already exists, is already mail-enabled, a proxy address is in use, or the member is already in the group.</summary>
        AlreadyExists = 3,
        /// <summary>The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not grant (which Exchange reports as CommandNotFoundException).</summary>
        AccessDenied = 4,
        /// <summary>A parameter is missing, unknown, or its value is invalid.</summary>
        InvalidParameter = 5,
        /// <summary>The server refused for load: the shell quota, or a throttling budget. Retry later, with backoff.</summary>
        Throttled = 6,
        /// <summary>A failure that a retry may cure: the network, HTTP 503, a broken runspace.</summary>
        Transient = 7,
        /// <summary>Authentication failed: wrong password, Kerberos errors, channel binding rejected, or no usable mechanism.</summary>
        Auth = 8,
        /// <summary>The TLS handshake or the certificate check (chain, name or pin) failed.</summary>
        Tls = 9,
        /// <summary>The server's answer broke the protocol (unreadable XML, PSRP state errors).</summary>
        Protocol = 10,
        /// <summary>The caller cancelled the command; it was stopped on the server.</summary>
        Cancelled = 11,
        /// <summary>An operation ran out of time: a connect, an HTTP exchange, opening the session or the command.</summary>
        Timeout = 12,
        /// <summary>A command that changes state may or may not have run: the connection failed after it was sent. It is not re-run; check the object before trying again.</summary>
        OutcomeUnknown = 13,
        /// <summary>The options are not usable (a bad URL, a missing password), or the session was misused (closed, or called from the thread reading one of its streams); fix the configuration or the call sequence.</summary>
        Config = 14,
        /// <summary>The command failed for another reason the server gave; its error record says why.</summary>
        Command = 15,
        /// <summary>The library refused an argument (this binding checks arguments first, so
        /// this means a value the library judged invalid, such as a malformed resolve entry).</summary>
        InvalidArgument = 100,
        /// <summary>The native library failed internally.</summary>
        Internal = 101,
    }
}
