using System;
using System.Runtime.InteropServices;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// The raw imports of libmonosync_exchange (include/monosync_exchange.h). Nothing here checks
    /// a result: <see cref="Ensure"/> does, and the public types sit on top of both.
    /// Owned handles travel as their SafeHandle, so a handle cannot be freed during a call;
    /// handles the library creates come back as IntPtr and are wrapped at once.
    /// </summary>
    internal static unsafe class NativeMethods
    {
        /// <summary>The library's name: libmonosync_exchange.so, monosync_exchange.dll.</summary>
        internal const string Library = "monosync_exchange";

        /// <summary>Finds and checks the library before the first call goes through it.</summary>
        static NativeMethods()
        {
            NativeLibraryProbe.Load();
        }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int StreamCallback(IntPtr userdata, uint stream, mx_object* obj, mx_record* record);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void ProgressCallback(IntPtr userdata, mx_record* record);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userdata, uint level, MxStr target, MxStr message);

        // Library
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr mx_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint mx_abi_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_set_log_callback(LogCallback callback, IntPtr userdata, uint maxLevel);

        // Errors
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_error_code(ErrorHandle err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_error_message(ErrorHandle err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.U1)]
        internal static extern bool mx_error_server_code(ErrorHandle err, out uint code);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_error_fqeid(ErrorHandle err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_error_exception_type(ErrorHandle err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_error_hint(ErrorHandle err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_error_free(IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr mx_result_code_name(uint code);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.U1)]
        internal static extern bool mx_result_code_is_retryable(uint code);

        // Strings
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_string_str(StringHandle s);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_string_free(IntPtr s);

        // Options
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr mx_options_new();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_options_free(IntPtr options);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_server(OptionsHandle o, byte[] server, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_auth(OptionsHandle o, uint auth, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_username(OptionsHandle o, byte[] name, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_password(OptionsHandle o, byte* password, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_configuration(OptionsHandle o, byte[] name, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_ca_file(OptionsHandle o, byte[] path, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_add_pinned_thumbprint(OptionsHandle o, byte[] pin, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_insecure(OptionsHandle o, [MarshalAs(UnmanagedType.U1)] bool insecure, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_allow_unencrypted(OptionsHandle o, [MarshalAs(UnmanagedType.U1)] bool allow, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_allow_basic_over_http(OptionsHandle o, [MarshalAs(UnmanagedType.U1)] bool allow, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_ip_order(OptionsHandle o, uint order, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_add_resolve(OptionsHandle o, byte[] entry, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_kdc(OptionsHandle o, byte[] kdc, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_keytab(OptionsHandle o, byte[] path, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_realm(OptionsHandle o, byte[] realm, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_add_dns_server(OptionsHandle o, byte[] server, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_spn(OptionsHandle o, byte[] spn, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_locale(OptionsHandle o, byte[] locale, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_shell_name(OptionsHandle o, byte[] name, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_record(OptionsHandle o, byte[] path, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_max_envelope_size(OptionsHandle o, uint bytes, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_timeout_ms(OptionsHandle o, uint which, ulong milliseconds, out IntPtr err);

        // Commands
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_new(byte[] name, UIntPtr len, out IntPtr command, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_command_free(IntPtr command);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_add_string(CommandHandle c, byte[] name, UIntPtr nameLen, byte[] value, UIntPtr valueLen, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_add_int(CommandHandle c, byte[] name, UIntPtr nameLen, long value, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_add_bool(CommandHandle c, byte[] name, UIntPtr nameLen, [MarshalAs(UnmanagedType.U1)] bool value, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_add_switch(CommandHandle c, byte[] name, UIntPtr nameLen, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_add_secure(CommandHandle c, byte[] name, UIntPtr nameLen, byte* secret, UIntPtr secretLen, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_command_add_json(CommandHandle c, byte[] name, UIntPtr nameLen, byte[] json, UIntPtr jsonLen, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_build(OptionsHandle o, out IntPtr config, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_config_free(IntPtr config);

        // Pool options
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr mx_pool_options_new();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_pool_options_free(IntPtr options);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_options_add_server(PoolOptionsHandle o, byte[] url, UIntPtr len, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_options_set_max_sessions(PoolOptionsHandle o, uint sessions, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_options_set_acquire_timeout_ms(PoolOptionsHandle o, ulong milliseconds, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_options_set_retry_attempts(PoolOptionsHandle o, uint attempts, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_options_set_jump_host(
            OptionsHandle o, byte[] exchangeUri, UIntPtr exchangeUriLen, byte[] user, UIntPtr userLen, byte* password, UIntPtr passwordLen, out IntPtr err);

        // Pools
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_open_config(ConfigHandle config, PoolOptionsHandle poolOptions, out IntPtr pool, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_invoke(PoolHandle pool, CommandHandle command, out IntPtr result, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_invoke_cancellable(PoolHandle pool, CommandHandle command, CancelHandle cancel, out IntPtr result, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_invoke_streaming(PoolHandle pool, CommandHandle command, CancelHandle cancel, StreamCallback callback, IntPtr userdata, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_set_progress_callback(PoolHandle pool, ProgressCallback callback, IntPtr userdata);

        // Cancel tokens, for session and pool calls alike
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_cancel_new(out IntPtr cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_cancel_request(CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_cancel_free(IntPtr cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_stats(PoolHandle pool, out MxPoolCounters counters, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_server_opened(PoolHandle pool, UIntPtr index, out ulong opened, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_pool_close(PoolHandle pool, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_pool_free(IntPtr pool);

        // Sessions
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_open(OptionsHandle options, out IntPtr session, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_invoke(SessionHandle session, CommandHandle command, out IntPtr result, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_invoke_streaming(SessionHandle session, CommandHandle command, StreamCallback callback, IntPtr userdata, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_invoke_cancellable(SessionHandle session, CommandHandle command, CancelHandle cancel, out IntPtr result, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_invoke_streaming_cancellable(SessionHandle session, CommandHandle command, CancelHandle cancel, StreamCallback callback, IntPtr userdata, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_cancel(SessionHandle session);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_close(SessionHandle session, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_round_trips(SessionHandle session, out ulong wsman, out ulong http, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_session_set_progress_callback(SessionHandle session, ProgressCallback callback, IntPtr userdata);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_session_free(IntPtr session);

        // Results and records
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mx_result_free(IntPtr result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr mx_result_count(ResultHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern mx_object* mx_result_get(ResultHandle result, UIntPtr index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr mx_result_record_count(ResultHandle result, uint stream);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern mx_record* mx_result_record(ResultHandle result, uint stream, UIntPtr index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint mx_record_stream(mx_record* record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_record_message(mx_record* record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_record_error_kind(mx_record* record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_record_fqeid(mx_record* record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_record_exception_type(mx_record* record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_record_source(mx_record* record);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_record_progress(mx_record* record, out MxProgress progress);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_record_json(mx_record* record, out IntPtr json, out IntPtr err);

        // Objects
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_object_json(mx_object* obj, out IntPtr json, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_object_to_string(mx_object* obj, out IntPtr text, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_object_property_string(mx_object* obj, byte[] name, UIntPtr nameLen, out MxStr value, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_object_property_int(mx_object* obj, byte[] name, UIntPtr nameLen, out long value, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_object_property_bool(mx_object* obj, byte[] name, UIntPtr nameLen, [MarshalAs(UnmanagedType.U1)] out bool value, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode mx_object_property(mx_object* obj, byte[] name, UIntPtr nameLen, out mx_object* value, out IntPtr err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr mx_object_property_count(mx_object* obj);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_object_property_name(mx_object* obj, UIntPtr index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr mx_object_type_name_count(mx_object* obj);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern MxStr mx_object_type_name(mx_object* obj, UIntPtr index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr mx_object_list_count(mx_object* obj);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern mx_object* mx_object_list_item(mx_object* obj, UIntPtr index);
    }
}
