using System;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>
    /// Base of every owned handle of the C library: one subclass per C type, each freeing
    /// with its own <c>_free</c>. Counts live handles and handles that only the finalizer
    /// released (a missing Dispose), so tests can check that nothing leaks.
    /// </summary>
    internal abstract class NativeHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private static long live;
        private static long finalized;

        protected NativeHandle(IntPtr pointer)
            : base(true)
        {
            SetHandle(pointer);
            if (!IsInvalid)
            {
                Interlocked.Increment(ref live);
            }
        }

        /// <summary>Handles created and not yet released.</summary>
        internal static long LiveCount => Interlocked.Read(ref live);

        /// <summary>Handles released by the finalizer instead of Dispose.</summary>
        internal static long FinalizedCount => Interlocked.Read(ref finalized);

        protected override void Dispose(bool disposing)
        {
            if (!disposing && !IsInvalid && !IsClosed)
            {
                Interlocked.Increment(ref finalized);
            }
            base.Dispose(disposing);
        }

        protected sealed override bool ReleaseHandle()
        {
            Free(handle);
            Interlocked.Decrement(ref live);
            return true;
        }

        /// <summary>Calls the C type's <c>_free</c>.</summary>
        protected abstract void Free(IntPtr pointer);
    }
}
