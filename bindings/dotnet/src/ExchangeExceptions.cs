// Generated from the core's table of error kinds (core/src/error/kind.rs) by
// scripts/error-kinds.sh --write; do not edit by hand.
namespace Monosync.Exchange
{
    /// <summary>The object the command names does not exist (ManagementObjectNotFoundException).</summary>
    public sealed class ExchangeNotFoundException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeNotFoundException(string message)
            : base(ExchangeErrorKind.NotFound, message)
        {
        }
    }

    /// <summary>The identity matches more than one object (ManagementObjectAmbiguousException).</summary>
    public sealed class ExchangeAmbiguousException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAmbiguousException(string message)
            : base(ExchangeErrorKind.Ambiguous, message)
        {
        }
    }

    /// <summary>The object already exists, is already mail-enabled, a proxy address is in use, or the member is already in the group.</summary>
    public sealed class ExchangeAlreadyExistsException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAlreadyExistsException(string message)
            : base(ExchangeErrorKind.AlreadyExists, message)
        {
        }
    }

    /// <summary>The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not grant (which Exchange reports as CommandNotFoundException).</summary>
    public sealed class ExchangeAccessDeniedException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAccessDeniedException(string message)
            : base(ExchangeErrorKind.AccessDenied, message)
        {
        }
    }

    /// <summary>A parameter is missing, unknown, or its value is invalid.</summary>
    public sealed class ExchangeInvalidParameterException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeInvalidParameterException(string message)
            : base(ExchangeErrorKind.InvalidParameter, message)
        {
        }
    }

    /// <summary>The server refused for load: the shell quota, or a throttling budget. Retry later, with backoff.</summary>
    public sealed class ExchangeThrottledException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeThrottledException(string message)
            : base(ExchangeErrorKind.Throttled, message)
        {
        }
    }

    /// <summary>A failure that a retry may cure: the network, HTTP 503, a broken runspace.</summary>
    public sealed class ExchangeTransientException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeTransientException(string message)
            : base(ExchangeErrorKind.Transient, message)
        {
        }
    }

    /// <summary>Authentication failed: wrong password, Kerberos errors, channel binding rejected, or no usable mechanism.</summary>
    public sealed class ExchangeAuthException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAuthException(string message)
            : base(ExchangeErrorKind.Auth, message)
        {
        }
    }

    /// <summary>The TLS handshake or the certificate check (chain, name or pin) failed.</summary>
    public sealed class ExchangeTlsException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeTlsException(string message)
            : base(ExchangeErrorKind.Tls, message)
        {
        }
    }

    /// <summary>The server's answer broke the protocol (unreadable XML, PSRP state errors).</summary>
    public sealed class ExchangeProtocolException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeProtocolException(string message)
            : base(ExchangeErrorKind.Protocol, message)
        {
        }
    }

    /// <summary>The caller cancelled the command; it was stopped on the server.</summary>
    public sealed class ExchangeCancelledException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeCancelledException(string message)
            : base(ExchangeErrorKind.Cancelled, message)
        {
        }
    }

    /// <summary>An operation ran out of time: a connect, an HTTP exchange, opening the session or the command.</summary>
    public sealed class ExchangeTimeoutException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeTimeoutException(string message)
            : base(ExchangeErrorKind.Timeout, message)
        {
        }
    }

    /// <summary>A command that changes state may or may not have run: the connection failed after it was sent. It is not re-run; check the object before trying again.</summary>
    public sealed class ExchangeOutcomeUnknownException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeOutcomeUnknownException(string message)
            : base(ExchangeErrorKind.OutcomeUnknown, message)
        {
        }
    }

    /// <summary>The options are not usable (a bad URL, a missing password), or the session was misused (closed, or called from the thread reading one of its streams); fix the configuration or the call sequence.</summary>
    public sealed class ExchangeConfigException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeConfigException(string message)
            : base(ExchangeErrorKind.Config, message)
        {
        }
    }

    /// <summary>The command failed for another reason the server gave; its error record says why.</summary>
    public sealed class ExchangeCommandException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeCommandException(string message)
            : base(ExchangeErrorKind.Command, message)
        {
        }
    }

    public partial class ExchangeException
    {
        /// <summary>The exception type for <paramref name="kind"/>.</summary>
        public static ExchangeException Create(ExchangeErrorKind kind, string message)
        {
            switch (kind)
            {
                case ExchangeErrorKind.NotFound: return new ExchangeNotFoundException(message);
                case ExchangeErrorKind.Ambiguous: return new ExchangeAmbiguousException(message);
                case ExchangeErrorKind.AlreadyExists: return new ExchangeAlreadyExistsException(message);
                case ExchangeErrorKind.AccessDenied: return new ExchangeAccessDeniedException(message);
                case ExchangeErrorKind.InvalidParameter: return new ExchangeInvalidParameterException(message);
                case ExchangeErrorKind.Throttled: return new ExchangeThrottledException(message);
                case ExchangeErrorKind.Transient: return new ExchangeTransientException(message);
                case ExchangeErrorKind.Auth: return new ExchangeAuthException(message);
                case ExchangeErrorKind.Tls: return new ExchangeTlsException(message);
                case ExchangeErrorKind.Protocol: return new ExchangeProtocolException(message);
                case ExchangeErrorKind.Cancelled: return new ExchangeCancelledException(message);
                case ExchangeErrorKind.Timeout: return new ExchangeTimeoutException(message);
                case ExchangeErrorKind.OutcomeUnknown: return new ExchangeOutcomeUnknownException(message);
                case ExchangeErrorKind.Config: return new ExchangeConfigException(message);
                case ExchangeErrorKind.Command: return new ExchangeCommandException(message);
                default: return new ExchangeException(kind, message);
            }
        }
    }
}
