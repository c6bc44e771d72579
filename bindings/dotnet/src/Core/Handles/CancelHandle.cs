using System;

namespace Monosync.Exchange.Core.Handles
{
    /// <summary>An owned <c>mx_cancel</c> token, freed with <c>mx_cancel_free</c>.</summary>
    internal sealed class CancelHandle : NativeHandle
    {
        internal CancelHandle(IntPtr pointer)
            : base(pointer)
        {
        }

        /// <summary>A new token, not requested.</summary>
        internal static CancelHandle Create()
        {
            Ensure.Success(NativeMethods.mx_cancel_new(out IntPtr token), IntPtr.Zero);
            return new CancelHandle(token);
        }

        /// <summary>Requests the token: the calls it was given to stop. Never blocks; does
        /// nothing once the handle is released.</summary>
        internal void Request()
        {
            bool added = false;
            try
            {
                DangerousAddRef(ref added);
                NativeMethods.mx_cancel_request(this);
            }
            catch (ObjectDisposedException)
            {
                // Released: the call it served is over.
            }
            finally
            {
                if (added)
                {
                    DangerousRelease();
                }
            }
        }

        protected override void Free(IntPtr pointer) => NativeMethods.mx_cancel_free(pointer);
    }
}
