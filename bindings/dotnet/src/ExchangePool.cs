using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Monosync.Exchange.Core;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange
{
    /// <summary>
    /// Several sessions to one Exchange organisation, over <see cref="ExchangeSessionOptions.Url"/>
    /// and its failover <see cref="ExchangeSessionOptions.Servers"/>, shared by many threads.
    /// Thread-safe: unlike an <see cref="ExchangeSession"/>, whose commands queue behind each
    /// other, a pool runs as many commands at once as <see cref="ExchangeSessionOptions.PoolSize"/>
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
            using (OptionsHandle o = OptionsBuilder.Build(options))
            {
                Ensure.Success(NativeMethods.mx_pool_open(o, out IntPtr pool, out IntPtr err), err);
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
        /// <see cref="Invoke"/> on the thread pool. <paramref name="cancellationToken"/> is
        /// checked before the command starts; a command that has started runs to its end (use
        /// <see cref="ExchangeSessionOptions.InvokeTimeout"/> to bound it).
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
                    return Invoke(cmdlet, parameters);
                },
                cancellationToken);
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
    }
}
