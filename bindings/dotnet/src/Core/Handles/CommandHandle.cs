using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_command</c>, freed with <c>mx_command_free</c>.</summary>
    internal sealed class CommandHandle : NativeHandle
    {
        internal CommandHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_command_free(pointer);
    }
}
