using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_string</c>, freed with <c>mx_string_free</c>.</summary>
    internal sealed class StringHandle : NativeHandle
    {
        internal StringHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_string_free(pointer);
    }
}
