using System;

namespace Monosync.Exchange
{
    /// <summary>
    /// Base of every error this library raises for a failed call: the kind, and what the
    /// server said (fault code, FullyQualifiedErrorId, exception type) kept whole.
    /// Catch a subclass (<see cref="ExchangeNotFoundException"/>, ...) to handle one kind;
    /// <see cref="Create"/> makes the subclass of a kind (ExchangeExceptions.cs, generated).
    /// </summary>
    public partial class ExchangeException : Exception
    {
        /// <summary>Creates an error of the given kind.</summary>
        public ExchangeException(ExchangeErrorKind kind, string message)
            : this(kind, message, null)
        {
        }

        /// <summary>Creates an error of the given kind with the exception that caused it.</summary>
        public ExchangeException(ExchangeErrorKind kind, string message, Exception inner)
            : base(message, inner)
        {
            Kind = kind;
        }

        /// <summary>The kind of failure.</summary>
        public ExchangeErrorKind Kind { get; }

        /// <summary>The WS-Management fault code (<c>WSManFault/@Code</c>), when the server sent a fault.</summary>
        public uint? ServerCode { get; internal set; }

        /// <summary>The FullyQualifiedErrorId of the command's error record, when there is one.</summary>
        public string FullyQualifiedErrorId { get; internal set; }

        /// <summary>The .NET exception type the server reported, when there is one.</summary>
        public string ExceptionType { get; internal set; }

        /// <summary>What to do about it, when the library or the server supplies a hint.</summary>
        public string Hint { get; internal set; }

        /// <summary>Whether sending the same request again later may succeed (throttling,
        /// transient failures, timeouts). Retry only commands that are safe to repeat.</summary>
        public bool IsRetryable =>
            Kind == ExchangeErrorKind.Throttled || Kind == ExchangeErrorKind.Transient || Kind == ExchangeErrorKind.Timeout;
    }
}
