using System;
using System.Collections.Generic;
using System.Security;

namespace Monosync.Exchange
{
    /// <summary>How the client authenticates.</summary>
    public enum ExchangeAuthMethod
    {
        /// <summary>SPNEGO: Kerberos first, NTLM when Kerberos is not possible.</summary>
        Negotiate = 0,
        /// <summary>Kerberos only.</summary>
        Kerberos = 1,
        /// <summary>NTLM only.</summary>
        Ntlm = 2,
        /// <summary>Basic: HTTPS only unless <see cref="ExchangeSessionOptions.AllowBasicOverHttp"/>.</summary>
        Basic = 3,
    }

    /// <summary>The order in which resolved addresses are tried.</summary>
    public enum ExchangeIpOrder
    {
        /// <summary>IPv4 addresses first, then IPv6.</summary>
        Ipv4First = 0,
        /// <summary>IPv6 addresses first, then IPv4.</summary>
        Ipv6First = 1,
        /// <summary>The resolver's order.</summary>
        System = 2,
    }

    /// <summary>
    /// Where and how an <see cref="ExchangeSession"/> connects. A plain settings object: it is
    /// copied when the session opens, so it may be changed or reused afterwards. Unset values
    /// keep the library's defaults.
    /// </summary>
    public sealed class ExchangeSessionOptions
    {
        /// <summary>Options for a server: a URL, e.g. <c>https://ex01.corp.example/PowerShell/</c>,
        /// or a host name (see <see cref="Server"/>).</summary>
        public ExchangeSessionOptions(string server)
        {
            Server = server ?? throw new ArgumentNullException(nameof(server));
        }

        /// <summary>Options for Exchange's <c>/PowerShell/</c> endpoint on <paramref name="server"/>
        /// (a host name), over HTTPS unless <paramref name="https"/> is false.</summary>
        public static ExchangeSessionOptions ForServer(string server, bool https = true)
        {
            if (string.IsNullOrWhiteSpace(server))
            {
                throw new ArgumentException("The server name is empty.", nameof(server));
            }
            return new ExchangeSessionOptions((https ? "https://" : "http://") + server + "/PowerShell/");
        }

        /// <summary>The server: a URL, or a host name, which becomes
        /// <c>https://host/PowerShell/</c>, or <c>https://host:5986/wsman</c> with a
        /// <see cref="Configuration"/> or a jump host.</summary>
        public string Server { get; set; }

        /// <summary>The former name of <see cref="Server"/>.</summary>
        [Obsolete("Use Server.")]
        public string Url { get => Server; set => Server = value; }

        /// <summary>The authentication method; Negotiate by default.</summary>
        public ExchangeAuthMethod Auth { get; set; } = ExchangeAuthMethod.Negotiate;

        /// <summary>The user: <c>user</c>, <c>DOMAIN\user</c> or <c>user@REALM</c>.</summary>
        public string UserName { get; set; }

        /// <summary>The password, kept as a SecureString; converted to UTF-8 only for the
        /// native call, in a buffer zeroed afterwards.</summary>
        public SecureString Password { get; set; }

        /// <summary>Sets <see cref="UserName"/> and <see cref="Password"/> from a credential.</summary>
        public PSCredential Credential
        {
            set
            {
                if (value == null)
                {
                    throw new ArgumentNullException(nameof(value));
                }
                UserName = value.UserName;
                Password = value.Password;
            }
        }

        /// <summary>Sets the password from a plain string (tests, configuration files).</summary>
        public void SetPassword(string password) => Password = PSCredential.Secure(password);

        /// <summary>A session configuration of the WinRM service (<c>.../wsman</c>), e.g.
        /// <c>Microsoft.PowerShell</c>; null for Exchange's <c>/PowerShell/</c> endpoint.</summary>
        public string Configuration { get; set; }

        /// <summary>The former name of <see cref="Configuration"/>.</summary>
        [Obsolete("Use Configuration.")]
        public string ConfigurationName { get => Configuration; set => Configuration = value; }

        /// <summary>A PEM file of CA certificates trusted besides the system's.</summary>
        public string CaFile { get; set; }

        /// <summary>Accepted certificate thumbprints (SHA-1 or SHA-256 hex). With any pin, a
        /// certificate is accepted if and only if it matches one.</summary>
        public IList<string> PinnedThumbprints { get; } = new List<string>();

        /// <summary>Accepts any server certificate. For tests only.</summary>
        public bool Insecure { get; set; }

        /// <summary>Over plain HTTP, sends NTLM/Kerberos messages without sealing them.</summary>
        public bool AllowUnencrypted { get; set; }

        /// <summary>Allows Basic authentication over plain HTTP, which exposes the password.</summary>
        public bool AllowBasicOverHttp { get; set; }

        /// <summary>The order in which resolved addresses are tried; null for the library's default.</summary>
        public ExchangeIpOrder? IpOrder { get; set; }

        /// <summary>Fixed answers for host names, like curl's <c>--resolve</c>: <c>host:port:addr[,addr...]</c>.</summary>
        public IList<string> Resolve { get; } = new List<string>();

        /// <summary>The Kerberos KDC (<c>tcp://host:port</c> or <c>host[:port]</c>), or a KDC proxy
        /// (<c>https://host/KdcProxy</c>, MS-KKDCP, its certificate checked against the system roots and
        /// <see cref="CaFile"/>); null for krb5.conf and DNS.</summary>
        public string Kdc { get; set; }

        /// <summary>
        /// An MIT keytab file whose key logs on instead of <see cref="Password"/> (Kerberos and Negotiate):
        /// <see cref="UserName"/> names its principal, or null for the keytab's first one. AES keys only;
        /// a keytab with only RC4 or DES keys fails with an authentication error. Null by default.
        /// </summary>
        public string Keytab { get; set; }
        /// <summary>The Kerberos realm of the user's account (<c>CORP.EXAMPLE</c>); null for krb5.conf's
        /// default_realm, then DNS. A user <c>name@suffix</c> whose suffix is not this realm (an alternative
        /// UPN suffix) logs on with an NT-ENTERPRISE name sent to it.</summary>
        public string Realm { get; set; }

        /// <summary>DNS servers (<c>ip:port</c>) for KDC discovery.</summary>
        public IList<string> DnsServers { get; } = new List<string>();

        /// <summary>The service principal name, instead of <c>HTTP/&lt;host&gt;</c>.</summary>
        public string Spn { get; set; }

        /// <summary>The language of the server's messages, e.g. <c>de-DE</c>; <c>en-US</c> by default.</summary>
        public string Locale { get; set; }

        /// <summary>The shell's name as the server shows it.</summary>
        public string ShellName { get; set; }

        /// <summary>
        /// A file to record the conversation in: every request and response after unsealing,
        /// secrets redacted, in the format <c>mx-sim --replay</c> serves; null (the default)
        /// records nothing. A pool's n-th session records into the path with <c>.n</c> before
        /// the extension.
        /// </summary>
        public string Record { get; set; }

        /// <summary>A fixed MaxEnvelopeSize in bytes; null to negotiate it.</summary>
        public uint? MaxEnvelopeSize { get; set; }

        /// <summary>TCP connect per address, and again the TLS handshake.</summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>One HTTP exchange: the request, then the response head and body together.</summary>
        public TimeSpan? ReadTimeout { get; set; }

        /// <summary>One whole HTTP request including reconnects.</summary>
        public TimeSpan? RequestTimeout { get; set; }

        /// <summary>WS-Management OperationTimeout: how long the server holds a Receive open
        /// without output (a polling interval, not a limit); null for 20 seconds.</summary>
        public TimeSpan? OperationTimeout { get; set; }

        /// <summary>The former name of <see cref="OperationTimeout"/>.</summary>
        [Obsolete("Use OperationTimeout.")]
        public TimeSpan? ReceivePollInterval { get => OperationTimeout; set => OperationTimeout = value; }

        /// <summary>One whole command; when it passes, the command is stopped and the call
        /// throws <see cref="ExchangeTimeoutException"/>.</summary>
        public TimeSpan? InvokeTimeout { get; set; }

        /// <summary>Opening the session: connect, authenticate, create the shell and open the
        /// runspace pool; when it passes, the constructor throws
        /// <see cref="ExchangeTimeoutException"/>. Null keeps the default, 180 seconds
        /// (PowerShell's OpenTimeout); <see cref="TimeSpan.Zero"/> sets no limit.</summary>
        public TimeSpan? OpenTimeout { get; set; }

        /// <summary>The shell's idle timeout on the server; null keeps the server's.</summary>
        public TimeSpan? IdleTimeout { get; set; }

        /// <summary>The former name of <see cref="IdleTimeout"/>.</summary>
        [Obsolete("Use IdleTimeout.")]
        public TimeSpan? ShellIdleTimeout { get => IdleTimeout; set => IdleTimeout = value; }

        /// <summary>Failover servers of an <see cref="ExchangePool"/>, tried in order after
        /// <see cref="Url"/> when it cannot be reached; they share every other setting.
        /// <see cref="ExchangeSession"/> ignores them.</summary>
        public IList<string> Servers { get; } = new List<string>();

        /// <summary>Adds a failover server (<see cref="Servers"/>); returns these options.</summary>
        public ExchangeSessionOptions AddServer(string url)
        {
            if (string.IsNullOrWhiteSpace(url))
            {
                throw new ArgumentException("The server URL is empty.", nameof(url));
            }
            Servers.Add(url);
            return this;
        }

        /// <summary>How many sessions an <see cref="ExchangePool"/> may hold, which is also how
        /// many commands it runs at once: 1 to 16; null for the library's default (2).</summary>
        public int? MaxSessions
        {
            get => maxSessions;
            set
            {
                if (value.HasValue && (value.Value < 1 || value.Value > MaxPoolSize))
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, "The pool size must be 1 to " + MaxPoolSize + ".");
                }
                maxSessions = value;
            }
        }

        /// <summary>The former name of <see cref="MaxSessions"/>.</summary>
        [Obsolete("Use MaxSessions.")]
        public int? PoolSize { get => MaxSessions; set => MaxSessions = value; }

        /// <summary>The largest <see cref="MaxSessions"/>: below Exchange's 18 shells per user.</summary>
        public const int MaxPoolSize = 16;

        private int? maxSessions;

        /// <summary>The longest an <see cref="ExchangePool"/> call waits for a free session; when
        /// it passes the call throws <see cref="ExchangeTimeoutException"/>, without a retry.
        /// Null (the default) or <see cref="TimeSpan.Zero"/> waits as long as it takes.</summary>
        public TimeSpan? AcquireTimeout { get; set; }

        /// <summary>Attempts of an <see cref="ExchangePool"/> command in all, the first included,
        /// when it fails for a passing reason; 1 turns retries off. Null for the library's
        /// default (3).</summary>
        public int? RetryAttempts
        {
            get => retryAttempts;
            set
            {
                if (value.HasValue && value.Value < 1)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, "At least one attempt is needed.");
                }
                retryAttempts = value;
            }
        }

        private int? retryAttempts;

        /// <summary>Exchange's endpoint as the jump host reaches it, set by
        /// <see cref="UseJumpHost"/>; null outside jump-host mode.</summary>
        public string JumpHostExchangeUri { get; private set; }

        /// <summary>The Exchange account of jump-host mode.</summary>
        public PSCredential JumpHostCredential { get; private set; }

        /// <summary>
        /// Switches to jump-host mode: <see cref="Url"/>, <see cref="Auth"/> and the credentials
        /// are then those of the WinRM service of the jump host (<c>https://host:5986/wsman</c>),
        /// and every session first connects from there to Exchange at
        /// <paramref name="exchangeUri"/> (<c>http://fqdn/PowerShell/</c>, with Kerberos) as
        /// <paramref name="credential"/>, whose password travels encrypted with the session key.
        /// Replaces <see cref="Configuration"/>. Returns these options.
        /// </summary>
        public ExchangeSessionOptions UseJumpHost(string exchangeUri, PSCredential credential)
        {
            if (string.IsNullOrWhiteSpace(exchangeUri))
            {
                throw new ArgumentException("The Exchange URI is empty.", nameof(exchangeUri));
            }
            JumpHostCredential = credential ?? throw new ArgumentNullException(nameof(credential));
            JumpHostExchangeUri = exchangeUri;
            return this;
        }
    }
}
