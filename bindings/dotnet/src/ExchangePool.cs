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
    /// Several sessions to one Exchange organisation, over <see cref="ExchangeSessionOptions.Server"/>
    /// and its failover <see cref="ExchangeSessionOptions.Servers"/>, shared by many threads.
    /// Thread-safe: unlike an <see cref="ExchangeSession"/>, whose commands queue behind each
    /// other, a pool runs as many commands at once as <see cref="ExchangeSessionOptions.MaxSessions"/>
    /// allows; further callers wait, in arrival order, for a session to come back. Sessions open
    /// on first need, on the first server that answers; a broken one is replaced, and a command
    /// that failed for a passing reason (a dropped connection, throttling) is sent again.
    /// <see cref="Dispose"/> closes the pool, deleting its shells.
    /// </summary>
    public sealed class ExchangePool : IDisposable
    {
        private readonly PoolHandle handle;
        private readonly int serverCount;
        private int closed;

        private ExchangePool(PoolHandle handle, int serverCount)
        {
            this.handle = handle;
            this.serverCount = serverCount;
        }

        /// <summary>
        /// Makes a pool from a copy of <paramref name="options"/>. Checks every URL and limit
        /// (<see cref="ExchangeConfigException"/>) but connects to nothing yet.
        /// </summary>
        public static ExchangePool Open(ExchangeSessionOptions options)
        {
            using (ConfigHandle config = OptionsBuilder.BuildConfig(options))
            using (PoolOptionsHandle p = OptionsBuilder.BuildPool(options))
            {
                Ensure.Success(NativeMethods.mx_pool_open_config(config, p, out IntPtr pool, out IntPtr err), err);
                return new ExchangePool(new PoolHandle(pool), 1 + options.Servers.Count);
            }
        }

        /// <summary>
        /// Runs a cmdlet to its end on a free session, with the parameters and results of
        /// <see cref="ExchangeSession.Invoke"/>; blocks while every session is busy. A
        /// terminating error throws the exception of its kind; after <see cref="Close"/>,
        /// <see cref="ExchangeConfigException"/>.
        /// </summary>
        public ExchangeResult Invoke(string cmdlet, IDictionary<string, object> parameters = null)
        {
            using (CommandHandle command = CommandBuilder.Build(cmdlet, parameters))
            {
                Ensure.Success(NativeMethods.mx_pool_invoke(handle, command, out IntPtr result, out IntPtr err), err);
                return new ExchangeResult(new ResultHandle(result));
            }
        }

        /// <summary>
        /// <see cref="Invoke(string, IDictionary{string, object})"/> that
        /// <paramref name="cancellationToken"/> stops: while the call waits for a session it
        /// gives up at once; once its command runs, the command is stopped on the server
        /// (PowerShell's stop signal) and the call throws <see cref="OperationCanceledException"/>
        /// when the server confirmed. A cancelled command is not sent again.
        /// </summary>
        public ExchangeResult Invoke(string cmdlet, IDictionary<string, object> parameters, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (CommandHandle command = CommandBuilder.Build(cmdlet, parameters))
            using (CancelHandle token = CancelHandle.Create())
            using (cancellationToken.Register(token.Request))
            {
                ResultCode code = NativeMethods.mx_pool_invoke_cancellable(handle, command, token, out IntPtr result, out IntPtr err);
                try
                {
                    Ensure.Success(code, err);
                }
                catch (ExchangeCancelledException e) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(e.Message, e, cancellationToken);
                }
                return new ExchangeResult(new ResultHandle(result));
            }
        }

        /// <summary>
        /// <see cref="Invoke(string, IDictionary{string, object}, CancellationToken)"/> on the
        /// thread pool: cancelling <paramref name="cancellationToken"/> stops the command on the
        /// server, and the task ends cancelled.
        /// </summary>
        public Task<ExchangeResult> InvokeAsync(
            string cmdlet,
            IDictionary<string, object> parameters = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Task.Run(() => Invoke(cmdlet, parameters, cancellationToken), cancellationToken);
        }

        /// <summary>
        /// Runs a cmdlet on a session of its own and yields its output objects as they arrive,
        /// as <see cref="ExchangeSession.Stream"/> does; each object is valid until the
        /// enumeration moves on, and records of the other streams go to
        /// <paramref name="onRecord"/>. The session stays with the enumeration until it ends or
        /// is disposed, while other threads (this one too) use the pool's other sessions.
        /// Until the first object arrived, a failed read is retried on another session.
        /// Disposing the enumeration early, or cancelling <paramref name="cancellationToken"/>
        /// (which then throws <see cref="OperationCanceledException"/>), stops the command on
        /// the server and closes its session rather than reuse it.
        /// </summary>
        public IEnumerable<ExchangeObject> Stream(
            string cmdlet,
            IDictionary<string, object> parameters = null,
            Action<ExchangeRecord> onRecord = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (string.IsNullOrWhiteSpace(cmdlet))
            {
                throw new ArgumentException("The cmdlet name is empty.", nameof(cmdlet));
            }
            return new PoolStream(this, cmdlet, parameters, onRecord, cancellationToken);
        }

        /// <summary>The pool's counters now; never blocks.</summary>
        public ExchangePoolStats Stats
        {
            get
            {
                Ensure.Success(NativeMethods.mx_pool_stats(handle, out MxPoolCounters c, out IntPtr err), err);
                var perServer = new ulong[serverCount];
                for (int i = 0; i < serverCount; i++)
                {
                    Ensure.Success(NativeMethods.mx_pool_server_opened(handle, new UIntPtr((uint)i), out perServer[i], out err), err);
                }
                return new ExchangePoolStats(c.Sessions, c.Idle, c.Opened, c.Discarded, c.IdleClosed, c.Probes, c.Retries, perServer);
            }
        }

        /// <summary>
        /// Closes the pool: deletes the shells of its idle sessions, and those of busy ones when
        /// their command ends. Later calls throw <see cref="ExchangeConfigException"/>.
        /// </summary>
        public void Close()
        {
            if (Interlocked.Exchange(ref closed, 1) != 0)
            {
                return;
            }
            Ensure.Success(NativeMethods.mx_pool_close(handle, out IntPtr err), err);
        }

        /// <summary>Closes the pool and frees it; failures to delete shells are logged, not
        /// raised. Call it once no other thread uses the pool.</summary>
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
                ExchangeLog.Report(ExchangeLogLevel.Warn, "closing the pool failed: " + e.Message);
            }
            handle.Dispose();
        }

        /// <summary>Starts a stream per enumeration, each with its own cancel token.</summary>
        private sealed class PoolStream : IEnumerable<ExchangeObject>
        {
            private readonly ExchangePool pool;
            private readonly string cmdlet;
            private readonly IDictionary<string, object> parameters;
            private readonly Action<ExchangeRecord> onRecord;
            private readonly CancellationToken cancellationToken;

            internal PoolStream(ExchangePool pool, string cmdlet, IDictionary<string, object> parameters, Action<ExchangeRecord> onRecord, CancellationToken cancellationToken)
            {
                this.pool = pool;
                this.cmdlet = cmdlet;
                this.parameters = parameters;
                this.onRecord = onRecord;
                this.cancellationToken = cancellationToken;
            }

            public IEnumerator<ExchangeObject> GetEnumerator()
            {
                cancellationToken.ThrowIfCancellationRequested();
                var owned = new Owned();
                try
                {
                    CommandHandle command = owned.Add(CommandBuilder.Build(cmdlet, parameters));
                    CancelHandle token = owned.Add(CancelHandle.Create());
                    // Disposed first: no request reaches the token once it is being freed.
                    owned.Add(cancellationToken.Register(token.Request));
                    PoolHandle handle = pool.handle;
                    StreamStart start = (NativeMethods.StreamCallback callback, out IntPtr err) =>
                        NativeMethods.mx_pool_invoke_streaming(handle, command, token, callback, IntPtr.Zero, out err);
                    return new Enumerator(new StreamPump(start, owned, onRecord), cancellationToken);
                }
                catch
                {
                    owned.Dispose();
                    throw;
                }
            }

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        /// <summary>Reports a cancellation through the caller's token as
        /// <see cref="OperationCanceledException"/>.</summary>
        private sealed class Enumerator : IEnumerator<ExchangeObject>
        {
            private readonly StreamPump pump;
            private readonly CancellationToken cancellationToken;

            internal Enumerator(StreamPump pump, CancellationToken cancellationToken)
            {
                this.pump = pump;
                this.cancellationToken = cancellationToken;
            }

            public ExchangeObject Current => pump.Current;

            object IEnumerator.Current => pump.Current;

            public bool MoveNext()
            {
                try
                {
                    return pump.MoveNext();
                }
                catch (ExchangeCancelledException e) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(e.Message, e, cancellationToken);
                }
            }

            public void Reset() => pump.Reset();

            public void Dispose() => pump.Dispose();
        }

        /// <summary>What a stream owns, disposed in reverse order once its native call ended.</summary>
        private sealed class Owned : IDisposable
        {
            private readonly List<IDisposable> items = new List<IDisposable>();

            internal T Add<T>(T item)
                where T : IDisposable
            {
                items.Add(item);
                return item;
            }

            public void Dispose()
            {
                for (int i = items.Count - 1; i >= 0; i--)
                {
                    items[i].Dispose();
                }
                items.Clear();
            }
        }
    }
}
