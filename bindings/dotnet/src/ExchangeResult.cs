using System;
using System.Collections.Generic;
using Monosync.Exchange.Core;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange
{
    /// <summary>
    /// Everything a finished command produced. The output objects are read in place from the
    /// native result and live until <see cref="Dispose"/>; the records of the other streams
    /// are copies and outlive it.
    /// </summary>
    public sealed unsafe class ExchangeResult : IDisposable
    {
        private readonly ResultHandle handle;
        private readonly IReadOnlyList<ExchangeObject> output;

        internal ExchangeResult(ResultHandle handle)
        {
            this.handle = handle;
            var lifetime = new HandleLifetime(handle);
            int n = (int)NativeMethods.mx_result_count(handle).ToUInt64();
            var objects = new List<ExchangeObject>(n);
            for (int i = 0; i < n; i++)
            {
                objects.Add(new ExchangeObject(lifetime, NativeMethods.mx_result_get(handle, new UIntPtr((uint)i))));
            }
            output = objects;
            Errors = Records<ExchangeErrorRecord>(StreamId.Error);
            Warnings = Records<ExchangeRecord>(StreamId.Warning);
            Verbose = Records<ExchangeRecord>(StreamId.Verbose);
            Debug = Records<ExchangeRecord>(StreamId.Debug);
            Information = Records<ExchangeInformationRecord>(StreamId.Information);
            Progress = Records<ExchangeProgressRecord>(StreamId.Progress);
        }

        /// <summary>The output objects, in order.</summary>
        public IReadOnlyList<ExchangeObject> Output
        {
            get
            {
                if (handle.IsClosed)
                {
                    throw new ObjectDisposedException(nameof(ExchangeResult));
                }
                return output;
            }
        }

        /// <summary>Non-terminating errors (a missing object unless <c>-ErrorAction Stop</c>).</summary>
        public IReadOnlyList<ExchangeErrorRecord> Errors { get; }

        /// <summary>Warnings, such as "more results are available".</summary>
        public IReadOnlyList<ExchangeRecord> Warnings { get; }

        /// <summary>Verbose messages.</summary>
        public IReadOnlyList<ExchangeRecord> Verbose { get; }

        /// <summary>Debug messages.</summary>
        public IReadOnlyList<ExchangeRecord> Debug { get; }

        /// <summary>Information records.</summary>
        public IReadOnlyList<ExchangeInformationRecord> Information { get; }

        /// <summary>Progress records.</summary>
        public IReadOnlyList<ExchangeProgressRecord> Progress { get; }

        /// <summary>Throws the first error record as its exception, if there is one.</summary>
        public void ThrowOnError()
        {
            if (Errors.Count > 0)
            {
                throw Errors[0].ToException();
            }
        }

        /// <summary>Frees the native result; the output objects become unusable.</summary>
        public void Dispose() => handle.Dispose();

        private IReadOnlyList<T> Records<T>(StreamId stream)
            where T : ExchangeRecord
        {
            int n = (int)NativeMethods.mx_result_record_count(handle, (uint)stream).ToUInt64();
            var list = new List<T>(n);
            for (int i = 0; i < n; i++)
            {
                list.Add((T)ExchangeRecord.Read(NativeMethods.mx_result_record(handle, (uint)stream, new UIntPtr((uint)i))));
            }
            return list;
        }
    }
}
