using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_pool</c> (freeing closes it first), freed with <c>mx_pool_free</c>.</summary>
    internal sealed class PoolHandle : NativeHandle
    {
        internal PoolHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_pool_free(pointer);
    }
}
