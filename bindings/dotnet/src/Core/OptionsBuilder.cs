using System;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange.Core
{
    /// <summary>Copies <see cref="ExchangeSessionOptions"/> into a new <c>mx_options</c>.</summary>
    internal static unsafe class OptionsBuilder
    {
        private delegate ResultCode Setter(OptionsHandle o, byte[] text, UIntPtr len, out IntPtr err);

        /// <summary>A new native options handle; the caller disposes it.</summary>
        internal static OptionsHandle Build(ExchangeSessionOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }
            var o = new OptionsHandle(NativeMethods.mx_options_new());
            if (o.IsInvalid)
            {
                throw new ExchangeException(ExchangeErrorKind.Internal, "The library could not create options.");
            }
            try
            {
                Apply(o, options);
                return o;
            }
            catch
            {
                o.Dispose();
                throw;
            }
        }

        private static void Apply(OptionsHandle o, ExchangeSessionOptions options)
        {
            IntPtr err;
            Text(o, NativeMethods.mx_options_set_server, options.Server, nameof(options.Server));
            Ensure.Success(NativeMethods.mx_options_set_auth(o, (uint)options.Auth, out err), err);
            Text(o, NativeMethods.mx_options_set_username, options.UserName, nameof(options.UserName));
            if (options.Password != null)
            {
                using (var password = new SecureUtf8(options.Password))
                {
                    Ensure.Success(NativeMethods.mx_options_set_password(o, password.Pointer, password.Length, out err), err);
                }
            }
            Text(o, NativeMethods.mx_options_set_configuration, options.Configuration, nameof(options.Configuration));
            Text(o, NativeMethods.mx_options_set_ca_file, options.CaFile, nameof(options.CaFile));
            foreach (string pin in options.PinnedThumbprints)
            {
                Text(o, NativeMethods.mx_options_add_pinned_thumbprint, pin, nameof(options.PinnedThumbprints));
            }
            Ensure.Success(NativeMethods.mx_options_set_insecure(o, options.Insecure, out err), err);
            Ensure.Success(NativeMethods.mx_options_set_allow_unencrypted(o, options.AllowUnencrypted, out err), err);
            Ensure.Success(NativeMethods.mx_options_set_allow_basic_over_http(o, options.AllowBasicOverHttp, out err), err);
            if (options.IpOrder.HasValue)
            {
                Ensure.Success(NativeMethods.mx_options_set_ip_order(o, (uint)options.IpOrder.Value, out err), err);
            }
            foreach (string entry in options.Resolve)
            {
                Text(o, NativeMethods.mx_options_add_resolve, entry, nameof(options.Resolve));
            }
            Text(o, NativeMethods.mx_options_set_kdc, options.Kdc, nameof(options.Kdc));
            Text(o, NativeMethods.mx_options_set_keytab, options.Keytab, nameof(options.Keytab));
            Text(o, NativeMethods.mx_options_set_realm, options.Realm, nameof(options.Realm));
            foreach (string server in options.DnsServers)
            {
                Text(o, NativeMethods.mx_options_add_dns_server, server, nameof(options.DnsServers));
            }
            Text(o, NativeMethods.mx_options_set_spn, options.Spn, nameof(options.Spn));
            Text(o, NativeMethods.mx_options_set_locale, options.Locale, nameof(options.Locale));
            Text(o, NativeMethods.mx_options_set_shell_name, options.ShellName, nameof(options.ShellName));
            Text(o, NativeMethods.mx_options_set_record, options.Record, nameof(options.Record));
            if (options.MaxEnvelopeSize.HasValue)
            {
                Ensure.Success(NativeMethods.mx_options_set_max_envelope_size(o, options.MaxEnvelopeSize.Value, out err), err);
            }
            Timeout(o, TimeoutId.Connect, options.ConnectTimeout);
            Timeout(o, TimeoutId.Read, options.ReadTimeout);
            Timeout(o, TimeoutId.Request, options.RequestTimeout);
            Timeout(o, TimeoutId.Operation, options.OperationTimeout);
            Timeout(o, TimeoutId.Invoke, options.InvokeTimeout);
            Timeout(o, TimeoutId.Idle, options.IdleTimeout);
            Timeout(o, TimeoutId.Open, options.OpenTimeout);
            if (options.JumpHostExchangeUri != null)
            {
                // After the configuration: jump-host mode replaces the endpoint.
                byte[] uri = Utf8.Encode(options.JumpHostExchangeUri, "exchangeUri", out UIntPtr uriLen);
                byte[] user = Utf8.Encode(options.JumpHostCredential.UserName, "credential", out UIntPtr userLen);
                using (var password = new SecureUtf8(options.JumpHostCredential.Password))
                {
                    Ensure.Success(
                        NativeMethods.mx_options_set_jump_host(o, uri, uriLen, user, userLen, password.Pointer, password.Length, out err),
                        err);
                }
            }
        }

        /// <summary>The immutable native configuration of <paramref name="options"/>; the caller
        /// disposes it.</summary>
        internal static ConfigHandle BuildConfig(ExchangeSessionOptions options)
        {
            using (OptionsHandle o = Build(options))
            {
                Ensure.Success(NativeMethods.mx_options_build(o, out IntPtr config, out IntPtr err), err);
                return new ConfigHandle(config);
            }
        }

        /// <summary>A new native <c>mx_pool_options</c> with the pool settings of
        /// <paramref name="options"/>; the caller disposes it.</summary>
        internal static PoolOptionsHandle BuildPool(ExchangeSessionOptions options)
        {
            var p = new PoolOptionsHandle(NativeMethods.mx_pool_options_new());
            if (p.IsInvalid)
            {
                throw new ExchangeException(ExchangeErrorKind.Internal, "The library could not create pool options.");
            }
            try
            {
                IntPtr err;
                foreach (string server in options.Servers)
                {
                    byte[] bytes = Utf8.Encode(server, nameof(options.Servers), out UIntPtr len);
                    Ensure.Success(NativeMethods.mx_pool_options_add_server(p, bytes, len, out err), err);
                }
                if (options.MaxSessions.HasValue)
                {
                    Ensure.Success(NativeMethods.mx_pool_options_set_max_sessions(p, (uint)options.MaxSessions.Value, out err), err);
                }
                if (options.AcquireTimeout.HasValue)
                {
                    if (options.AcquireTimeout.Value < TimeSpan.Zero)
                    {
                        throw new ArgumentOutOfRangeException(nameof(options.AcquireTimeout), "A time limit cannot be negative.");
                    }
                    Ensure.Success(NativeMethods.mx_pool_options_set_acquire_timeout_ms(p, (ulong)options.AcquireTimeout.Value.TotalMilliseconds, out err), err);
                }
                if (options.RetryAttempts.HasValue)
                {
                    Ensure.Success(NativeMethods.mx_pool_options_set_retry_attempts(p, (uint)options.RetryAttempts.Value, out err), err);
                }
                return p;
            }
            catch
            {
                p.Dispose();
                throw;
            }
        }

        /// <summary>Sets a text option; null leaves the library's default.</summary>
        private static void Text(OptionsHandle o, Setter setter, string value, string name)
        {
            if (value == null)
            {
                return;
            }
            byte[] bytes = Utf8.Encode(value, name, out UIntPtr len);
            Ensure.Success(setter(o, bytes, len, out IntPtr err), err);
        }

        private static void Timeout(OptionsHandle o, TimeoutId which, TimeSpan? value)
        {
            if (!value.HasValue)
            {
                return;
            }
            if (value.Value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(which.ToString(), "A time limit cannot be negative.");
            }
            Ensure.Success(NativeMethods.mx_options_set_timeout_ms(o, (uint)which, (ulong)value.Value.TotalMilliseconds, out IntPtr err), err);
        }
    }
}
