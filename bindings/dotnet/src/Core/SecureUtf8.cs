using System;
using System.Runtime.InteropServices;
using System.Security;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// A SecureString's text as UTF-8 in unmanaged memory, for one native call: the UTF-16
    /// copy from <see cref="Marshal.SecureStringToGlobalAllocUnicode"/> and the UTF-8 buffer are
    /// both zeroed before they are freed, and no managed string ever holds the secret.
    /// </summary>
    internal sealed unsafe class SecureUtf8 : IDisposable
    {
        private IntPtr buffer;
        private int length;

        internal SecureUtf8(SecureString secret)
        {
            if (secret == null)
            {
                throw new ArgumentNullException(nameof(secret));
            }
            IntPtr utf16 = Marshal.SecureStringToGlobalAllocUnicode(secret);
            try
            {
                char* chars = (char*)utf16;
                int count = secret.Length;
                try
                {
                    length = Utf8.Strict.GetByteCount(chars, count);
                }
                catch (System.Text.EncoderFallbackException e)
                {
                    throw new ArgumentException("The secret is not valid Unicode.", nameof(secret), e);
                }
                // One spare byte so that an empty secret still has a valid pointer.
                buffer = Marshal.AllocHGlobal(length + 1);
                Utf8.Strict.GetBytes(chars, count, (byte*)buffer, length);
            }
            finally
            {
                Marshal.ZeroFreeGlobalAllocUnicode(utf16);
            }
        }

        /// <summary>The first byte.</summary>
        internal byte* Pointer => (byte*)buffer;

        /// <summary>The length in bytes.</summary>
        internal UIntPtr Length => new UIntPtr((ulong)length);

        /// <summary>Zeroes and frees the buffer.</summary>
        public void Dispose()
        {
            if (buffer == IntPtr.Zero)
            {
                return;
            }
            byte* p = (byte*)buffer;
            for (int i = 0; i <= length; i++)
            {
                p[i] = 0;
            }
            Marshal.FreeHGlobal(buffer);
            buffer = IntPtr.Zero;
        }
    }
}
