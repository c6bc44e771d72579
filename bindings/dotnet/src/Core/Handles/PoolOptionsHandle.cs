using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_pool_options</c>, released with <c>mx_pool_options_free</c>.</summary>
    internal sealed class PoolOptionsHandle : NativeHandle
    {
        internal PoolOptionsHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_pool_options_free(pointer);
    }
}
