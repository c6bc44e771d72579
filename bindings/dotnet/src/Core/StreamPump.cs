using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange.Core
{
    /// <summary>Runs one native streaming call (<c>mx_session_invoke_streaming</c> or
    /// <c>mx_pool_invoke_streaming</c>) with <paramref name="callback"/>.</summary>
    internal delegate ResultCode StreamStart(NativeMethods.StreamCallback callback, out IntPtr err);

    /// <summary>
    /// Turns a native streaming call (<c>mx_session_invoke_streaming</c>,
    /// <c>mx_pool_invoke_streaming</c>), which pushes items into a callback, into an
    /// enumerator the caller pulls from. The native call runs on a worker thread; its callback
    /// hands one borrowed object over and waits until the consumer moves on, so nothing is
    /// buffered and the object is read in place. Disposing early stops the command on the
    /// server (the callback answers non-zero).
    /// </summary>
    internal sealed unsafe class StreamPump : IEnumerator<ExchangeObject>
    {
        private readonly object gate = new object();
        private readonly StreamStart start;
        private readonly IDisposable resources;
        private readonly Action<ExchangeRecord> onRecord;
        private readonly NativeMethods.StreamCallback callback;
        private readonly Queue<ExchangeRecord> records = new Queue<ExchangeRecord>();
        private Thread worker;
        private ExchangeObject current;
        private bool itemReady;
        private bool consumed;
        private bool finished;
        private bool abandoned;
        private Exception failure;

        /// <summary>A pump for <paramref name="start"/>; <paramref name="resources"/> (the
        /// command, a cancel token) are disposed once the native call returned.</summary>
        internal StreamPump(StreamStart start, IDisposable resources, Action<ExchangeRecord> onRecord)
        {
            this.start = start;
            this.resources = resources;
            this.onRecord = onRecord;
            // Held in a field: the native side calls it for as long as the worker runs.
            callback = OnItem;
        }

        public ExchangeObject Current => current ?? throw new InvalidOperationException("The enumeration has not started or is over.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            List<ExchangeRecord> delivered;
            bool ready;
            lock (gate)
            {
                if (worker == null)
                {
                    worker = new Thread(Run) { IsBackground = true, Name = "monosync-exchange stream" };
                    worker.Start();
                }
                else if (itemReady)
                {
                    itemReady = false;
                    consumed = true;
                    current = null;
                    Monitor.PulseAll(gate);
                }
                while (!itemReady && !finished)
                {
                    Monitor.Wait(gate);
                }
                delivered = new List<ExchangeRecord>(records);
                records.Clear();
                ready = itemReady;
            }
            if (onRecord != null)
            {
                foreach (ExchangeRecord r in delivered)
                {
                    onRecord(r);
                }
            }
            if (ready)
            {
                return true;
            }
            worker.Join();
            Exception e = Interlocked.Exchange(ref failure, null);
            if (e != null)
            {
                throw e;
            }
            return false;
        }

        public void Reset() => throw new NotSupportedException("A command's output can be read once; invoke it again.");

        public void Dispose()
        {
            Thread running;
            lock (gate)
            {
                abandoned = true;
                current = null;
                Monitor.PulseAll(gate);
                running = worker;
            }
            if (running != null)
            {
                running.Join();
            }
            else
            {
                resources.Dispose();
            }
        }

        private void Run()
        {
            try
            {
                ResultCode code = start(callback, out IntPtr err);
                if (code != ResultCode.Ok)
                {
                    Exception e = Ensure.Exception(code, err);
                    lock (gate)
                    {
                        if (failure == null && !abandoned)
                        {
                            failure = e;
                        }
                    }
                }
            }
            catch (Exception e)
            {
                lock (gate)
                {
                    failure = failure ?? e;
                }
            }
            finally
            {
                resources.Dispose();
                lock (gate)
                {
                    finished = true;
                    itemReady = false;
                    Monitor.PulseAll(gate);
                }
            }
        }

        /// <summary>The native callback: never throws into native code.</summary>
        private int OnItem(IntPtr userdata, uint stream, mx_object* obj, mx_record* record)
        {
            try
            {
                if (stream != (uint)StreamId.Output)
                {
                    ExchangeRecord r = ExchangeRecord.Read(record);
                    lock (gate)
                    {
                        records.Enqueue(r);
                        return abandoned ? 1 : 0;
                    }
                }
                var scope = new ScopeLifetime();
                lock (gate)
                {
                    if (abandoned)
                    {
                        return 1;
                    }
                    current = new ExchangeObject(scope, obj);
                    itemReady = true;
                    consumed = false;
                    Monitor.PulseAll(gate);
                    while (!consumed && !abandoned)
                    {
                        Monitor.Wait(gate);
                    }
                }
                // Returning ends the object's life: wait for reads still in progress.
                scope.Close();
                lock (gate)
                {
                    return abandoned ? 1 : 0;
                }
            }
            catch (Exception e)
            {
                lock (gate)
                {
                    failure = failure ?? e;
                    abandoned = true;
                    Monitor.PulseAll(gate);
                }
                return 1;
            }
        }
    }
}
