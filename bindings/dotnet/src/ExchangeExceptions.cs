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

    /// <summary>The identity matches more than one object.</summary>
    public sealed class ExchangeAmbiguousException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAmbiguousException(string message)
            : base(ExchangeErrorKind.Ambiguous, message)
        {
        }
    }

    /// <summary>The object already exists, or is already in the state asked for.</summary>
    public sealed class ExchangeAlreadyExistsException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAlreadyExistsException(string message)
            : base(ExchangeErrorKind.AlreadyExists, message)
        {
        }
    }

    /// <summary>The account may not do this: WinRM access denied, or a cmdlet its roles do not grant.</summary>
    public sealed class ExchangeAccessDeniedException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeAccessDeniedException(string message)
            : base(ExchangeErrorKind.AccessDenied, message)
        {
        }
    }

    /// <summary>A parameter of the command is missing, unknown or invalid.</summary>
    public sealed class ExchangeInvalidParameterException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeInvalidParameterException(string message)
            : base(ExchangeErrorKind.InvalidParameter, message)
        {
        }
    }

    /// <summary>The server refused for load; retry later with backoff.</summary>
    public sealed class ExchangeThrottledException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeThrottledException(string message)
            : base(ExchangeErrorKind.Throttled, message)
        {
        }
    }

    /// <summary>A failure a retry may cure: the network, HTTP 503, a broken runspace.</summary>
    public sealed class ExchangeTransientException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeTransientException(string message)
            : base(ExchangeErrorKind.Transient, message)
        {
        }
    }

    /// <summary>Authentication failed: wrong credentials, or no usable mechanism.</summary>
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

    /// <summary>The server's answer broke the protocol.</summary>
    public sealed class ExchangeProtocolException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeProtocolException(string message)
            : base(ExchangeErrorKind.Protocol, message)
        {
        }
    }

    /// <summary>The command was cancelled (<see cref="ExchangeSession.Cancel"/>).</summary>
    public sealed class ExchangeCancelledException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeCancelledException(string message)
            : base(ExchangeErrorKind.Cancelled, message)
        {
        }
    }

    /// <summary>An operation ran out of time.</summary>
    public sealed class ExchangeTimeoutException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeTimeoutException(string message)
            : base(ExchangeErrorKind.Timeout, message)
        {
        }
    }

    /// <summary>A state-changing command may or may not have run; check before retrying.</summary>
    public sealed class ExchangeOutcomeUnknownException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeOutcomeUnknownException(string message)
            : base(ExchangeErrorKind.OutcomeUnknown, message)
        {
        }
    }

    /// <summary>The options are not usable, or the session is closed.</summary>
    public sealed class ExchangeConfigException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeConfigException(string message)
            : base(ExchangeErrorKind.Config, message)
        {
        }
    }

    /// <summary>The command failed for another reason; the error record says why.</summary>
    public sealed class ExchangeCommandException : ExchangeException
    {
        /// <summary>Creates the error with the library's message.</summary>
        public ExchangeCommandException(string message)
            : base(ExchangeErrorKind.Command, message)
        {
        }
    }
}
