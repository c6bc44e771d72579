using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// Strings across the boundary: managed text goes in as strict UTF-8 (a lone surrogate
    /// throws before any native call), and borrowed <c>mx_str</c> views come back as copies.
    /// </summary>
    internal static unsafe class Utf8
    {
        /// <summary>Strict: refuses text that is not valid UTF-16.</summary>
        internal static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>
        /// The bytes of <paramref name="text"/> plus a NUL (so that the array is never empty),
        /// and their length without it.
        /// </summary>
        internal static byte[] Encode(string text, string paramName, out UIntPtr length)
        {
            if (text == null)
            {
                throw new ArgumentNullException(paramName);
            }
            byte[] bytes;
            try
            {
                bytes = new byte[Strict.GetByteCount(text) + 1];
                Strict.GetBytes(text, 0, text.Length, bytes, 0);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("The text is not valid Unicode.", paramName, e);
            }
            length = new UIntPtr((ulong)(bytes.Length - 1));
            return bytes;
        }

        /// <summary>A copy of a borrowed view; null when the view has no value.</summary>
        internal static string Decode(MxStr view)
        {
            if (view.Data == IntPtr.Zero)
            {
                return null;
            }
            ulong len = view.Len.ToUInt64();
            if (len > int.MaxValue)
            {
                throw new InvalidOperationException("A string from the library is larger than 2 GiB.");
            }
            return Encoding.UTF8.GetString((byte*)view.Data, (int)len);
        }

        /// <summary>A copy of a static NUL-terminated string of the library.</summary>
        internal static string DecodeStatic(IntPtr text)
        {
            if (text == IntPtr.Zero)
            {
                return null;
            }
            byte* p = (byte*)text;
            int n = 0;
            while (p[n] != 0)
            {
                n++;
            }
            return Encoding.UTF8.GetString(p, n);
        }

        /// <summary>Takes an owned <c>mx_string</c>: copies it and frees it.</summary>
        internal static string Take(IntPtr owned)
        {
            using (var handle = new Handles.StringHandle(owned))
            {
                return Decode(NativeMethods.mx_string_str(handle)) ?? string.Empty;
            }
        }
    }
}
