using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_config</c>, released with <c>mx_config_free</c>.</summary>
    internal sealed class ConfigHandle : NativeHandle
    {
        internal ConfigHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_config_free(pointer);
    }
}
