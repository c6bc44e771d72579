namespace Monosync.Exchange
{
    /// <summary>
    /// What went wrong, as the library classifies it: what a caller decides on (retry, report,
    /// fix the input). The numbers are the C library's result codes and never change.
    /// </summary>
    public enum ExchangeErrorKind
    {
        /// <summary>The object the command names does not exist.</summary>
        NotFound = 1,
        /// <summary>The identity matches more than one object.</summary>
        Ambiguous = 2,
        /// <summary>The object already exists, or is already in the state asked for.</summary>
        AlreadyExists = 3,
        /// <summary>The account may not do this.</summary>
        AccessDenied = 4,
        /// <summary>A parameter of the command is missing, unknown or invalid.</summary>
        InvalidParameter = 5,
        /// <summary>The server refused for load; retry later with backoff.</summary>
        Throttled = 6,
        /// <summary>A failure a retry may cure: the network, HTTP 503, a broken runspace.</summary>
        Transient = 7,
        /// <summary>Authentication failed.</summary>
        Auth = 8,
        /// <summary>The TLS handshake or the certificate check failed.</summary>
        Tls = 9,
        /// <summary>The server's answer broke the protocol.</summary>
        Protocol = 10,
        /// <summary>The command was cancelled.</summary>
        Cancelled = 11,
        /// <summary>An operation ran out of time.</summary>
        Timeout = 12,
        /// <summary>A state-changing command may or may not have run; check before retrying.</summary>
        OutcomeUnknown = 13,
        /// <summary>The options are not usable, or the session is closed.</summary>
        Config = 14,
        /// <summary>The command failed for another reason; its error record says why.</summary>
        Command = 15,
        /// <summary>The library refused an argument (this binding checks arguments first, so
        /// this means a value the library judged invalid, such as a malformed resolve entry).</summary>
        InvalidArgument = 100,
        /// <summary>The native library failed internally.</summary>
        Internal = 101,
    }
}
