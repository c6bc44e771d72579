using System;
using Monosync.Exchange.Core;

namespace Monosync.Exchange
{
    /// <summary>Severity of a log event, most severe first.</summary>
    public enum ExchangeLogLevel
    {
        /// <summary>Logging off.</summary>
        Off = 0,
        /// <summary>Failures the library recovered from or could not report otherwise.</summary>
        Error = 1,
        /// <summary>Suspicious conditions (an insecure TLS setting, a shell that could not be deleted).</summary>
        Warn = 2,
        /// <summary>Notable events.</summary>
        Info = 3,
        /// <summary>Connection, authentication and protocol steps.</summary>
        Debug = 4,
        /// <summary>Everything.</summary>
        Trace = 5,
    }

    /// <summary>One log event.</summary>
    public sealed class ExchangeLogEventArgs : EventArgs
    {
        internal ExchangeLogEventArgs(ExchangeLogLevel level, string target, string message)
        {
            Level = level;
            Target = target;
            Message = message;
        }

        /// <summary>The severity.</summary>
        public ExchangeLogLevel Level { get; }

        /// <summary>Where it comes from: a module of the library, e.g. <c>monosync_exchange::transport::client</c>,
        /// or <c>Monosync.Exchange</c> for this binding.</summary>
        public string Target { get; }

        /// <summary>The text with its fields; never a password, token or ticket.</summary>
        public string Message { get; }

        /// <inheritdoc/>
        public override string ToString() => Level + " " + Target + ": " + Message;
    }

    /// <summary>
    /// The library's log events (connects, reconnects, authentication steps, KDC lookups,
    /// failed shell deletions), process-wide. Handlers run on any thread, the library's I/O
    /// threads included, possibly concurrently: they must return quickly and must not call
    /// sessions. An exception a handler throws is dropped.
    /// </summary>
    public static class ExchangeLog
    {
        private static readonly object Gate = new object();
        // Held in a static field so the GC never collects what native code calls.
        private static readonly NativeMethods.LogCallback Callback = OnLog;
        private static EventHandler<ExchangeLogEventArgs> handlers;
        private static ExchangeLogLevel level = ExchangeLogLevel.Info;

        /// <summary>Raised for each event up to <see cref="Level"/>.</summary>
        public static event EventHandler<ExchangeLogEventArgs> Message
        {
            add
            {
                lock (Gate)
                {
                    handlers += value;
                    Install();
                }
            }

            remove
            {
                lock (Gate)
                {
                    handlers -= value;
                    Install();
                }
            }
        }

        /// <summary>The most detailed level delivered; <see cref="ExchangeLogLevel.Info"/> by default.</summary>
        public static ExchangeLogLevel Level
        {
            get
            {
                return level;
            }

            set
            {
                if (value < ExchangeLogLevel.Off || value > ExchangeLogLevel.Trace)
                {
                    throw new ArgumentOutOfRangeException(nameof(value));
                }
                lock (Gate)
                {
                    level = value;
                    Install();
                }
            }
        }

        /// <summary>Reports an event of this binding to the handlers.</summary>
        internal static void Report(ExchangeLogLevel eventLevel, string message)
        {
            if (eventLevel <= level)
            {
                Raise(new ExchangeLogEventArgs(eventLevel, "Monosync.Exchange", message));
            }
        }

        private static void Install()
        {
            bool on = handlers != null && level != ExchangeLogLevel.Off;
            ResultCode code = on
                ? NativeMethods.mx_set_log_callback(Callback, IntPtr.Zero, (uint)level)
                : NativeMethods.mx_set_log_callback(null, IntPtr.Zero, 0);
            Ensure.Success(code, IntPtr.Zero);
        }

        private static void OnLog(IntPtr userdata, uint eventLevel, MxStr target, MxStr message)
        {
            try
            {
                Raise(new ExchangeLogEventArgs((ExchangeLogLevel)eventLevel, Utf8.Decode(target), Utf8.Decode(message)));
            }
            catch (Exception)
            {
                // Nothing may unwind into native code; a failing handler loses its event.
            }
        }

        private static void Raise(ExchangeLogEventArgs e)
        {
            EventHandler<ExchangeLogEventArgs> current = handlers;
            if (current == null)
            {
                return;
            }
            foreach (EventHandler<ExchangeLogEventArgs> h in current.GetInvocationList())
            {
                try
                {
                    h(null, e);
                }
                catch (Exception)
                {
                    // One handler's failure must not keep the event from the others.
                }
            }
        }
    }
}
