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
    /// What runs cmdlets: an <see cref="ExchangeSession"/> (one command at a time) or an
    /// <see cref="ExchangePool"/> (one per session it holds), with the same calls. A
    /// <see cref="CancellationToken"/> given to a call stops that call: a call still waiting
    /// for a pool's session gives up at once, a running command is stopped on the server
    /// (PowerShell's stop signal), and the call throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public abstract unsafe class ExchangeInvoker : IDisposable
    {
        private readonly object progressGate = new object();
        private int closed;
        private EventHandler<ExchangeProgressRecord> progress;
        private NativeMethods.ProgressCallback progressCallback;

        internal ExchangeInvoker()
        {
        }

        /// <summary>
        /// Raised for each progress record while a command runs (run to its end or streamed),
        /// on the thread that invoked it. Handlers must not call this session or pool; an
        /// exception a handler throws is dropped.
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
                        Ensure.Success(NativeSetProgress(progressCallback), IntPtr.Zero);
                    }
                    progress += value;
                }
            }

            remove
            {
                lock (progressGate)
                {
                    progress -= value;
                    if (progress == null && !IsReleased)
                    {
                        Ensure.Success(NativeSetProgress(null), IntPtr.Zero);
                    }
                }
            }
        }

        /// <summary>Whether the native handle was freed.</summary>
        internal abstract bool IsReleased { get; }

        /// <summary>
        /// Closes the session or pool: a session waits for its running command, then deletes
        /// its shell; a pool deletes the shells of its idle sessions, and those of busy ones when
        /// their command ends. Later calls throw <see cref="ExchangeConfigException"/>. On a
        /// session, throws <see cref="InvalidOperationException"/> on a thread that still
        /// enumerates one of its streams (closing would wait for that stream).
        /// </summary>
        public void Close()
        {
            CheckCallAllowed();
            if (Interlocked.Exchange(ref closed, 1) != 0)
            {
                return;
            }
            Ensure.Success(NativeClose(out IntPtr err), err);
        }

        /// <summary>Closes and frees the session or pool; failures to delete shells are
        /// logged, not raised. Call it once no other thread uses it.</summary>
        public void Dispose()
        {
            if (IsReleased)
            {
                return;
            }
            try
            {
                Close();
            }
            catch (ExchangeException e)
            {
                ExchangeLog.Report(ExchangeLogLevel.Warn, "closing the " + Noun + " failed: " + e.Message);
            }
            Release();
        }

        /// <summary>"session" or "pool", for messages.</summary>
        internal abstract string Noun { get; }

        /// <summary>Closes the native handle's shells (<c>mx_session_close</c>,
        /// <c>mx_pool_close</c>).</summary>
        internal abstract ResultCode NativeClose(out IntPtr err);

        /// <summary>Frees the native handle.</summary>
        internal abstract void Release();

        /// <summary>
        /// Runs a cmdlet to its end, e.g. <c>Invoke("Get-Mailbox", new Dictionary&lt;string, object&gt;
        /// { ["Identity"] = "alice" })</c>. Parameter values may be strings, integers, booleans,
        /// <see cref="SwitchParameter"/>, <see cref="System.Security.SecureString"/>, lists and
        /// dictionaries (hashtables). Non-terminating errors are in <see cref="ExchangeResult.Errors"/>;
        /// a terminating error (<c>-ErrorAction Stop</c>, a binding failure) throws the
        /// exception of its kind.
        /// </summary>
        public ExchangeResult Invoke(string cmdlet, IDictionary<string, object> parameters = null) =>
            Invoke(cmdlet, parameters, CancellationToken.None);

        /// <summary>
        /// <see cref="Invoke(string, IDictionary{string, object})"/> that
        /// <paramref name="cancellationToken"/> stops: the command is stopped on the server and
        /// the call throws <see cref="OperationCanceledException"/> once the server confirmed.
        /// A token cancelled before the call starts throws at once.
        /// </summary>
        public ExchangeResult Invoke(string cmdlet, IDictionary<string, object> parameters, CancellationToken cancellationToken)
        {
            CheckCallAllowed();
            cancellationToken.ThrowIfCancellationRequested();
            using (CommandHandle command = CommandBuilder.Build(cmdlet, parameters))
            {
                if (!cancellationToken.CanBeCanceled)
                {
                    Ensure.Success(NativeInvoke(command, null, out IntPtr plain, out IntPtr plainErr), plainErr);
                    return new ExchangeResult(new ResultHandle(plain));
                }
                using (CancelHandle token = CancelHandle.Create())
                using (cancellationToken.Register(token.Request))
                {
                    ResultCode code = NativeInvoke(command, token, out IntPtr result, out IntPtr err);
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
        /// Runs a cmdlet and yields its output objects as they arrive, without holding the
        /// whole output: each object is valid until the enumeration moves on. Records of the
        /// other streams go to <paramref name="onRecord"/>, on the enumerating thread, before
        /// the objects that followed them. Disposing the enumeration early stops the command on
        /// the server; so does cancelling <paramref name="cancellationToken"/>, which then
        /// throws <see cref="OperationCanceledException"/>.
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
            return new StreamEnumerable(this, cmdlet, parameters, onRecord, cancellationToken);
        }

        /// <summary>Runs <paramref name="command"/> to its end; <paramref name="token"/> (null
        /// for none) stops it.</summary>
        internal abstract ResultCode NativeInvoke(CommandHandle command, CancelHandle token, out IntPtr result, out IntPtr err);

        /// <summary>Streams <paramref name="command"/> into <paramref name="callback"/>;
        /// <paramref name="token"/> stops it.</summary>
        internal abstract ResultCode NativeStream(CommandHandle command, CancelHandle token, NativeMethods.StreamCallback callback, out IntPtr err);

        /// <summary>Registers (null: removes) the native progress callback.</summary>
        internal abstract ResultCode NativeSetProgress(NativeMethods.ProgressCallback callback);

        /// <summary>Throws when the calling thread may not start a command now.</summary>
        internal virtual void CheckCallAllowed()
        {
        }

        /// <summary>The enumerator a stream hands out, around the one that reads it.</summary>
        internal virtual IEnumerator<ExchangeObject> Track(IEnumerator<ExchangeObject> reader) => reader;

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

        /// <summary>Starts a stream per enumeration, each with its own cancel token.</summary>
        private sealed class StreamEnumerable : IEnumerable<ExchangeObject>
        {
            private readonly ExchangeInvoker invoker;
            private readonly string cmdlet;
            private readonly IDictionary<string, object> parameters;
            private readonly Action<ExchangeRecord> onRecord;
            private readonly CancellationToken cancellationToken;

            internal StreamEnumerable(ExchangeInvoker invoker, string cmdlet, IDictionary<string, object> parameters, Action<ExchangeRecord> onRecord, CancellationToken cancellationToken)
            {
                this.invoker = invoker;
                this.cmdlet = cmdlet;
                this.parameters = parameters;
                this.onRecord = onRecord;
                this.cancellationToken = cancellationToken;
            }

            public IEnumerator<ExchangeObject> GetEnumerator()
            {
                invoker.CheckCallAllowed();
                cancellationToken.ThrowIfCancellationRequested();
                var owned = new Owned();
                try
                {
                    CommandHandle command = owned.Add(CommandBuilder.Build(cmdlet, parameters));
                    CancelHandle token = owned.Add(CancelHandle.Create());
                    // Disposed first: no request reaches the token once it is being freed.
                    owned.Add(cancellationToken.Register(token.Request));
                    ExchangeInvoker target = invoker;
                    StreamStart start = (NativeMethods.StreamCallback callback, out IntPtr err) =>
                        target.NativeStream(command, token, callback, out err);
                    return invoker.Track(new Enumerator(new StreamPump(start, owned, onRecord), cancellationToken));
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
