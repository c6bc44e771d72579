using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_error</c>, freed with <c>mx_error_free</c>.</summary>
    internal sealed class ErrorHandle : NativeHandle
    {
        internal ErrorHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_error_free(pointer);
    }
}
