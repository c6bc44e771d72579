using System;
using System.Security;

namespace Monosync.Exchange
{
    /// <summary>A user name and its password, as PowerShell's <c>PSCredential</c>.</summary>
    public sealed class PSCredential
    {
        /// <summary>Creates a credential; the password is made read-only, not copied.</summary>
        public PSCredential(string userName, SecureString password)
        {
            if (string.IsNullOrEmpty(userName))
            {
                throw new ArgumentException("The user name is empty.", nameof(userName));
            }
            UserName = userName;
            Password = password ?? throw new ArgumentNullException(nameof(password));
            if (!password.IsReadOnly())
            {
                password.MakeReadOnly();
            }
        }

        /// <summary>The user: <c>user</c>, <c>DOMAIN\user</c> or <c>user@REALM</c>.</summary>
        public string UserName { get; }

        /// <summary>The password.</summary>
        public SecureString Password { get; }

        /// <summary>A SecureString holding <paramref name="text"/>, read-only; for callers that
        /// start from a plain string (configuration files, tests).</summary>
        public static SecureString Secure(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException(nameof(text));
            }
            var s = new SecureString();
            foreach (char c in text)
            {
                s.AppendChar(c);
            }
            s.MakeReadOnly();
            return s;
        }
    }
}
