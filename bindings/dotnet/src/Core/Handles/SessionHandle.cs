using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_session (freeing closes it first)</c>, freed with <c>mx_session_free</c>.</summary>
    internal sealed class SessionHandle : NativeHandle
    {
        internal SessionHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_session_free(pointer);
    }
}
