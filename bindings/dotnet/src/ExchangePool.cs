using System;
using System.Threading;
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
    /// <see cref="ExchangeInvoker.Dispose"/> closes the pool, deleting its shells. Invoking, streaming and
    /// progress are <see cref="ExchangeInvoker"/>'s, as for a session; a stream keeps its
    /// session until it ends or is disposed, while other threads (the enumerating one too) use
    /// the pool's other sessions. Until a stream's first object arrived, a failed read is
    /// retried on another session; a stream stopped early closes its session rather than
    /// reuse it.
    /// </summary>
    public sealed class ExchangePool : ExchangeInvoker
    {
        private readonly PoolHandle handle;
        private readonly int serverCount;

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

        internal override bool IsReleased => handle.IsClosed;

        internal override string Noun => "pool";

        internal override ResultCode NativeClose(out IntPtr err) => NativeMethods.mx_pool_close(handle, out err);

        internal override void Release() => handle.Dispose();

        internal override ResultCode NativeInvoke(CommandHandle command, CancelHandle token, out IntPtr result, out IntPtr err) =>
            token == null
                ? NativeMethods.mx_pool_invoke(handle, command, out result, out err)
                : NativeMethods.mx_pool_invoke_cancellable(handle, command, token, out result, out err);

        internal override ResultCode NativeStream(CommandHandle command, CancelHandle token, NativeMethods.StreamCallback callback, out IntPtr err) =>
            NativeMethods.mx_pool_invoke_streaming(handle, command, token, callback, IntPtr.Zero, out err);

        internal override ResultCode NativeSetProgress(NativeMethods.ProgressCallback callback) =>
            NativeMethods.mx_pool_set_progress_callback(handle, callback, IntPtr.Zero);
    }
}
