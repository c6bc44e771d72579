using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Monosync.Exchange.Core;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange
{
    /// <summary>
    /// A connection to Exchange (a runspace pool in a WinRM shell) that runs cmdlets.
    /// Thread-safe: any thread may invoke, and commands of one session run one at a time in
    /// arrival order. <see cref="Dispose"/> closes the session, deleting the shell on the server.
    /// </summary>
    public sealed unsafe class ExchangeSession : IDisposable
    {
        private readonly SessionHandle handle;
        private readonly object progressGate = new object();
        // Threads enumerating a stream of this session, by managed thread id, with their count.
        private readonly Dictionary<int, int> streamingThreads = new Dictionary<int, int>();
        private EventHandler<ExchangeProgressRecord> progress;
        private NativeMethods.ProgressCallback progressCallback;
        private int closed;

        private ExchangeSession(SessionHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>
        /// Connects and opens a session; blocks until the runspace pool is open. Throws
        /// <see cref="ExchangeAuthException"/>, <see cref="ExchangeTlsException"/>,
        /// <see cref="ExchangeConfigException"/>, <see cref="ExchangeTransientException"/>, ...
        /// </summary>
        public static ExchangeSession Open(ExchangeSessionOptions options)
        {
            using (OptionsHandle o = OptionsBuilder.Build(options))
            {
                Ensure.Success(NativeMethods.mx_session_open(o, out IntPtr session, out IntPtr err), err);
                return new ExchangeSession(new SessionHandle(session));
            }
        }

        /// <summary><see cref="Open"/> on the thread pool.</summary>
        public static Task<ExchangeSession> OpenAsync(ExchangeSessionOptions options) =>
            Task.Run(() => Open(options));

        /// <summary>
        /// Raised for each progress record while a command of this session runs, on the thread
        /// that invoked it. Handlers must not call this session; an exception a handler throws
        /// is dropped.
        /// </summary>
        public event EventHandler<ExchangeProgressRecord> Progress
        {
            add
            {
                lock (progressGate)
                {
                    if (progress == null)
                    {
                        progressCallback = OnProgress;
                        Ensure.Success(NativeMethods.mx_session_set_progress_callback(handle, progressCallback, IntPtr.Zero), IntPtr.Zero);
                    }
                    progress += value;
                }
            }

            remove
            {
                lock (progressGate)
                {
                    progress -= value;
                    if (progress == null && !handle.IsClosed)
                    {
                        Ensure.Success(NativeMethods.mx_session_set_progress_callback(handle, null, IntPtr.Zero), IntPtr.Zero);
                    }
                }
            }
        }

        /// <summary>
        /// Runs a cmdlet to its end, e.g. <c>Invoke("Get-Mailbox", new Dictionary&lt;string, object&gt;
        /// { ["Identity"] = "alice" })</c>. Parameter values may be strings, integers, booleans,
        /// <see cref="SwitchParameter"/>, <see cref="System.Security.SecureString"/>, lists and
        /// dictionaries (hashtables). Non-terminating errors are in <see cref="ExchangeResult.Errors"/>;
        /// a terminating error (<c>-ErrorAction Stop</c>, a binding failure) throws the
        /// exception of its kind.
        /// </summary>
        public ExchangeResult Invoke(string cmdlet, IDictionary<string, object> parameters = null)
        {
            CheckNotStreamingHere();
            using (CommandHandle command = CommandBuilder.Build(cmdlet, parameters))
            {
                Ensure.Success(NativeMethods.mx_session_invoke(handle, command, out IntPtr result, out IntPtr err), err);
                return new ExchangeResult(new ResultHandle(result));
            }
        }

        /// <summary>
        /// <see cref="Invoke"/> on the thread pool. Cancelling <paramref name="cancellationToken"/>
        /// stops the command on the server (<see cref="Cancel"/>), and the task ends cancelled.
        /// </summary>
        public Task<ExchangeResult> InvokeAsync(
            string cmdlet,
            IDictionary<string, object> parameters = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Task.Run(
                () =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using (cancellationToken.Register(Cancel))
                    {
                        try
                        {
                            return Invoke(cmdlet, parameters);
                        }
                        catch (ExchangeCancelledException e) when (cancellationToken.IsCancellationRequested)
                        {
                            throw new OperationCanceledException(e.Message, e, cancellationToken);
                        }
                    }
                },
                cancellationToken);
        }

        /// <summary>
        /// Runs a cmdlet and yields its output objects as they arrive, without holding the
        /// whole output: each object is valid until the enumeration moves on. Records of the
        /// other streams go to <paramref name="onRecord"/>, on the enumerating thread, before
        /// the objects that followed them. Stopping the enumeration early stops the command on
        /// the server. While the enumeration is open, other calls on this session from the
        /// enumerating thread throw <see cref="InvalidOperationException"/> (they would wait
        /// for the stream forever).
        /// </summary>
        public IEnumerable<ExchangeObject> Stream(
            string cmdlet,
            IDictionary<string, object> parameters = null,
            Action<ExchangeRecord> onRecord = null)
        {
            if (string.IsNullOrWhiteSpace(cmdlet))
            {
                throw new ArgumentException("The cmdlet name is empty.", nameof(cmdlet));
            }
            return new StreamEnumerable(this, cmdlet, parameters, onRecord);
        }

        /// <summary>
        /// Stops the command running on this session, if any: it throws
        /// <see cref="ExchangeCancelledException"/> once the server confirms. Callable from any
        /// thread; never blocks. With several threads sharing the session, it stops whichever
        /// command runs at that moment.
        /// </summary>
        public void Cancel()
        {
            if (!handle.IsClosed)
            {
                NativeMethods.mx_session_cancel(handle);
            }
        }

        /// <summary>The round trips made so far: WS-Management operations and HTTP requests.
        /// Waits for a running command.</summary>
        public ExchangeRoundTrips RoundTrips
        {
            get
            {
                CheckNotStreamingHere();
                Ensure.Success(NativeMethods.mx_session_round_trips(handle, out ulong wsman, out ulong http, out IntPtr err), err);
                return new ExchangeRoundTrips(wsman, http);
            }
        }

        /// <summary>
        /// Closes the session: waits for a running command, then deletes the shell on the
        /// server. Later calls throw <see cref="ExchangeConfigException"/>.
        /// </summary>
        public void Close()
        {
            CheckNotStreamingHere();
            if (Interlocked.Exchange(ref closed, 1) != 0)
            {
                return;
            }
            Ensure.Success(NativeMethods.mx_session_close(handle, out IntPtr err), err);
        }

        /// <summary>Closes the session and frees it; failures to delete the shell are logged,
        /// not raised. Throws <see cref="InvalidOperationException"/> on a thread that still
        /// enumerates a stream of this session (closing would wait for that stream).</summary>
        public void Dispose()
        {
            if (handle.IsClosed)
            {
                return;
            }
            try
            {
                Close();
            }
            catch (ExchangeException e)
            {
                ExchangeLog.Report(ExchangeLogLevel.Warn, "closing the session failed: " + e.Message);
            }
            handle.Dispose();
        }

        private void CheckNotStreamingHere()
        {
            lock (streamingThreads)
            {
                if (streamingThreads.ContainsKey(Thread.CurrentThread.ManagedThreadId))
                {
                    throw new InvalidOperationException("This thread is enumerating a stream of this session; finish or dispose it first.");
                }
            }
        }

        private void StreamStarted(int thread)
        {
            lock (streamingThreads)
            {
                streamingThreads.TryGetValue(thread, out int n);
                streamingThreads[thread] = n + 1;
            }
        }

        private void StreamDone(int thread)
        {
            lock (streamingThreads)
            {
                if (streamingThreads.TryGetValue(thread, out int n))
                {
                    if (n <= 1)
                    {
                        streamingThreads.Remove(thread);
                    }
                    else
                    {
                        streamingThreads[thread] = n - 1;
                    }
                }
            }
        }

        private void OnProgress(IntPtr userdata, mx_record* record)
        {
            try
            {
                var r = (ExchangeProgressRecord)ExchangeRecord.Read(record);
                progress?.Invoke(this, r);
            }
            catch (Exception e)
            {
                ExchangeLog.Report(ExchangeLogLevel.Warn, "a Progress handler failed: " + e.Message);
            }
        }

        /// <summary>Starts a stream per enumeration.</summary>
        private sealed class StreamEnumerable : IEnumerable<ExchangeObject>
        {
            private readonly ExchangeSession session;
            private readonly string cmdlet;
            private readonly IDictionary<string, object> parameters;
            private readonly Action<ExchangeRecord> onRecord;

            internal StreamEnumerable(ExchangeSession session, string cmdlet, IDictionary<string, object> parameters, Action<ExchangeRecord> onRecord)
            {
                this.session = session;
                this.cmdlet = cmdlet;
                this.parameters = parameters;
                this.onRecord = onRecord;
            }

            public IEnumerator<ExchangeObject> GetEnumerator()
            {
                session.CheckNotStreamingHere();
                CommandHandle command = CommandBuilder.Build(cmdlet, parameters);
                SessionHandle handle = session.handle;
                StreamStart start = (NativeMethods.StreamCallback callback, out IntPtr err) =>
                    NativeMethods.mx_session_invoke_streaming(handle, command, callback, IntPtr.Zero, out err);
                return new Tracked(session, new StreamPump(start, command, onRecord));
            }

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        /// <summary>Counts the enumerating thread's open streams until the enumerator is disposed.</summary>
        private sealed class Tracked : IEnumerator<ExchangeObject>
        {
            private readonly ExchangeSession session;
            private readonly StreamPump pump;
            private int thread = -1;
            private bool disposed;

            internal Tracked(ExchangeSession session, StreamPump pump)
            {
                this.session = session;
                this.pump = pump;
            }

            public ExchangeObject Current => pump.Current;

            object IEnumerator.Current => pump.Current;

            public bool MoveNext()
            {
                if (thread < 0)
                {
                    thread = Thread.CurrentThread.ManagedThreadId;
                    session.StreamStarted(thread);
                }
                return pump.MoveNext();
            }

            public void Reset() => pump.Reset();

            public void Dispose()
            {
                if (disposed)
                {
                    return;
                }
                disposed = true;
                pump.Dispose();
                if (thread >= 0)
                {
                    session.StreamDone(thread);
                }
            }
        }
    }
}
