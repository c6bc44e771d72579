using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_options</c>, freed with <c>mx_options_free</c>.</summary>
    internal sealed class OptionsHandle : NativeHandle
    {
        internal OptionsHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_options_free(pointer);
    }
}
