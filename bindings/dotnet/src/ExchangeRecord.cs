using System;
using Monosync.Exchange.Core;

namespace Monosync.Exchange
{
    /// <summary>The stream a record came from ([MS-PSRP] 2.2.2.20 to 2.2.2.26).</summary>
    public enum ExchangeStream
    {
        /// <summary>Output objects.</summary>
        Output = 0,
        /// <summary>Non-terminating errors.</summary>
        Error = 1,
        /// <summary>Warnings.</summary>
        Warning = 2,
        /// <summary>Verbose messages.</summary>
        Verbose = 3,
        /// <summary>Debug messages.</summary>
        Debug = 4,
        /// <summary>Information records (Write-Information, Write-Host).</summary>
        Information = 5,
        /// <summary>Progress records.</summary>
        Progress = 6,
    }

    /// <summary>
    /// A record of a command's error, warning, verbose, debug, information or progress stream,
    /// copied out of the native result: it stays valid after the result is disposed.
    /// </summary>
    public class ExchangeRecord
    {
        internal ExchangeRecord(ExchangeStream stream, string message, string json)
        {
            Stream = stream;
            Message = message;
            Json = json;
        }

        /// <summary>The stream the record belongs to.</summary>
        public ExchangeStream Stream { get; }

        /// <summary>The text PowerShell shows: an error's message, a warning's text, a progress status.</summary>
        public string Message { get; }

        /// <summary>The whole record as JSON (exception, CategoryInfo, InvocationInfo, ...).</summary>
        public string Json { get; }

        /// <inheritdoc/>
        public override string ToString() => Message;

        /// <summary>Copies a borrowed record into the matching subclass.</summary>
        internal static unsafe ExchangeRecord Read(mx_record* record)
        {
            var stream = (ExchangeStream)NativeMethods.mx_record_stream(record);
            string message = Utf8.Decode(NativeMethods.mx_record_message(record)) ?? string.Empty;
            Ensure.Success(NativeMethods.mx_record_json(record, out IntPtr json, out IntPtr err), err);
            string text = Utf8.Take(json);
            switch (stream)
            {
                case ExchangeStream.Error:
                    return new ExchangeErrorRecord(
                        message,
                        text,
                        Ensure.KindOf(NativeMethods.mx_record_error_kind(record)),
                        Utf8.Decode(NativeMethods.mx_record_fqeid(record)),
                        Utf8.Decode(NativeMethods.mx_record_exception_type(record)));
                case ExchangeStream.Information:
                    return new ExchangeInformationRecord(message, text, Utf8.Decode(NativeMethods.mx_record_source(record)));
                case ExchangeStream.Progress:
                    Ensure.Success(NativeMethods.mx_record_progress(record, out MxProgress p), IntPtr.Zero);
                    return new ExchangeProgressRecord(message, text, p);
                default:
                    return new ExchangeRecord(stream, message, text);
            }
        }
    }

    /// <summary>A record of the error stream: Exchange's usual way of reporting, for example, a missing object.</summary>
    public sealed class ExchangeErrorRecord : ExchangeRecord
    {
        internal ExchangeErrorRecord(string message, string json, ExchangeErrorKind kind, string fqeid, string exceptionType)
            : base(ExchangeStream.Error, message, json)
        {
            Kind = kind;
            FullyQualifiedErrorId = fqeid;
            ExceptionType = exceptionType;
        }

        /// <summary>The kind, read from the exception type, FullyQualifiedErrorId and CategoryInfo.</summary>
        public ExchangeErrorKind Kind { get; }

        /// <summary>The FullyQualifiedErrorId.</summary>
        public string FullyQualifiedErrorId { get; }

        /// <summary>The .NET exception type on the server.</summary>
        public string ExceptionType { get; }

        /// <summary>The exception of this record's kind, to throw when a non-terminating error should stop the caller.</summary>
        public ExchangeException ToException()
        {
            var e = ExchangeException.Create(Kind, Message);
            e.FullyQualifiedErrorId = FullyQualifiedErrorId;
            e.ExceptionType = ExceptionType;
            return e;
        }
    }

    /// <summary>A record of the information stream.</summary>
    public sealed class ExchangeInformationRecord : ExchangeRecord
    {
        internal ExchangeInformationRecord(string message, string json, string source)
            : base(ExchangeStream.Information, message, json)
        {
            Source = source;
        }

        /// <summary>The record's <c>Source</c>.</summary>
        public string Source { get; }
    }

    /// <summary>A progress record ([MS-PSRP] 2.2.2.25).</summary>
    public sealed class ExchangeProgressRecord : ExchangeRecord
    {
        internal ExchangeProgressRecord(string message, string json, MxProgress p)
            : base(ExchangeStream.Progress, message, json)
        {
            Activity = Utf8.Decode(p.Activity);
            StatusDescription = Utf8.Decode(p.Status);
            CurrentOperation = Utf8.Decode(p.CurrentOperation);
            ActivityId = p.ActivityId;
            ParentActivityId = p.ParentActivityId;
            PercentComplete = p.PercentComplete;
            SecondsRemaining = p.SecondsRemaining;
            Completed = p.Completed != 0;
        }

        /// <summary><c>Activity</c>.</summary>
        public string Activity { get; }

        /// <summary><c>StatusDescription</c>.</summary>
        public string StatusDescription { get; }

        /// <summary><c>CurrentOperation</c>, or null.</summary>
        public string CurrentOperation { get; }

        /// <summary><c>ActivityId</c>.</summary>
        public int ActivityId { get; }

        /// <summary><c>ParentActivityId</c>: -1 for a top-level activity.</summary>
        public int ParentActivityId { get; }

        /// <summary><c>PercentComplete</c>: -1 when unknown.</summary>
        public int PercentComplete { get; }

        /// <summary><c>SecondsRemaining</c>: -1 when unknown.</summary>
        public int SecondsRemaining { get; }

        /// <summary>Whether the activity is complete.</summary>
        public bool Completed { get; }
    }
}
