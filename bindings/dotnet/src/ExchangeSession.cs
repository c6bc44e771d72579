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
    /// arrival order. <see cref="ExchangeInvoker.Dispose"/> closes the session, deleting the shell on the server.
    /// Invoking, streaming and progress are <see cref="ExchangeInvoker"/>'s. While a stream is
    /// enumerated, other calls on this session from the enumerating thread throw
    /// <see cref="InvalidOperationException"/> (they would wait for the stream forever).
    /// </summary>
    public sealed class ExchangeSession : ExchangeInvoker
    {
        private readonly SessionHandle handle;
        // Threads enumerating a stream of this session, by managed thread id, with their count.
        private readonly Dictionary<int, int> streamingThreads = new Dictionary<int, int>();

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
        /// Stops the command running on this session, if any: it throws
        /// <see cref="ExchangeCancelledException"/> once the server confirms. Callable from any
        /// thread; never blocks. With several threads sharing the session, it stops whichever
        /// command runs at that moment; a <see cref="CancellationToken"/> given to a call stops
        /// that call only.
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

        internal override bool IsReleased => handle.IsClosed;

        internal override string Noun => "session";

        internal override ResultCode NativeClose(out IntPtr err) => NativeMethods.mx_session_close(handle, out err);

        internal override void Release() => handle.Dispose();

        internal override ResultCode NativeInvoke(CommandHandle command, CancelHandle token, out IntPtr result, out IntPtr err) =>
            token == null
                ? NativeMethods.mx_session_invoke(handle, command, out result, out err)
                : NativeMethods.mx_session_invoke_cancellable(handle, command, token, out result, out err);

        internal override ResultCode NativeStream(CommandHandle command, CancelHandle token, NativeMethods.StreamCallback callback, out IntPtr err) =>
            NativeMethods.mx_session_invoke_streaming_cancellable(handle, command, token, callback, IntPtr.Zero, out err);

        internal override ResultCode NativeSetProgress(NativeMethods.ProgressCallback callback) =>
            NativeMethods.mx_session_set_progress_callback(handle, callback, IntPtr.Zero);

        internal override void CheckCallAllowed() => CheckNotStreamingHere();

        internal override IEnumerator<ExchangeObject> Track(IEnumerator<ExchangeObject> reader) => new Tracked(this, reader);

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

        /// <summary>Counts the enumerating thread's open streams until the enumerator is disposed.</summary>
        private sealed class Tracked : IEnumerator<ExchangeObject>
        {
            private readonly ExchangeSession session;
            private readonly IEnumerator<ExchangeObject> pump;
            private int thread = -1;
            private bool disposed;

            internal Tracked(ExchangeSession session, IEnumerator<ExchangeObject> pump)
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
