using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_result (its objects and records go with it)</c>, freed with <c>mx_result_free</c>.</summary>
    internal sealed class ResultHandle : NativeHandle
    {
        internal ResultHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_result_free(pointer);
    }
}
