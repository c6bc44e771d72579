using System;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// Turns a result code and its <c>mx_error</c> into an exception of the matching kind;
    /// the single place where codes become exceptions.
    /// </summary>
    internal static class Ensure
    {
        /// <summary>Throws unless <paramref name="code"/> is <c>MX_OK</c>; frees the error either way.</summary>
        internal static void Success(ResultCode code, IntPtr err)
        {
            if (code == ResultCode.Ok)
            {
                return;
            }
            throw Exception(code, err);
        }

        /// <summary>The exception for a failed call, taking ownership of <paramref name="err"/>.</summary>
        internal static ExchangeException Exception(ResultCode code, IntPtr err)
        {
            using (var handle = new ErrorHandle(err))
            {
                if (handle.IsInvalid)
                {
                    return ExchangeException.Create(KindOf(code), CodeName(code));
                }
                var e = ExchangeException.Create(KindOf(code), Utf8.Decode(NativeMethods.mx_error_message(handle)) ?? CodeName(code));
                uint server;
                if (NativeMethods.mx_error_server_code(handle, out server))
                {
                    e.ServerCode = server;
                }
                e.FullyQualifiedErrorId = Utf8.Decode(NativeMethods.mx_error_fqeid(handle));
                e.ExceptionType = Utf8.Decode(NativeMethods.mx_error_exception_type(handle));
                e.Hint = Utf8.Decode(NativeMethods.mx_error_hint(handle));
                return e;
            }
        }

        /// <summary>The kind of a code; library codes other than InvalidArgument are internal failures.</summary>
        internal static ExchangeErrorKind KindOf(ResultCode code)
        {
            uint n = (uint)code;
            if (n >= 1 && n <= 15)
            {
                return (ExchangeErrorKind)n;
            }
            return code == ResultCode.InvalidArgument ? ExchangeErrorKind.InvalidArgument : ExchangeErrorKind.Internal;
        }

        /// <summary>The library's name for a code ("not_found", ...).</summary>
        internal static string CodeName(ResultCode code) =>
            Utf8.DecodeStatic(NativeMethods.mx_result_code_name((uint)code));
    }
}
