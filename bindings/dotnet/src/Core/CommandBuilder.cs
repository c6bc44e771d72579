using System;
using System.Collections;
using System.Collections.Generic;
using System.Security;
using Monosync.Exchange.Core.Handles;

namespace Monosync.Exchange.Core
{
    /// <summary>Builds an <c>mx_command</c> from a cmdlet name and .NET parameter values.</summary>
    internal static unsafe class CommandBuilder
    {
        /// <summary>A new command; the caller disposes it.</summary>
        internal static CommandHandle Build(string cmdlet, IDictionary<string, object> parameters)
        {
            if (string.IsNullOrWhiteSpace(cmdlet))
            {
                throw new ArgumentException("The cmdlet name is empty.", nameof(cmdlet));
            }
            byte[] name = Utf8.Encode(cmdlet, nameof(cmdlet), out UIntPtr len);
            Ensure.Success(NativeMethods.mx_command_new(name, len, out IntPtr raw, out IntPtr err), err);
            var command = new CommandHandle(raw);
            try
            {
                if (parameters != null)
                {
                    foreach (KeyValuePair<string, object> p in parameters)
                    {
                        Add(command, p.Key, p.Value);
                    }
                }
                return command;
            }
            catch
            {
                command.Dispose();
                throw;
            }
        }

        private static void Add(CommandHandle command, string parameter, object value)
        {
            if (string.IsNullOrEmpty(parameter) || parameter == "-")
            {
                throw new ArgumentException("A parameter name is empty.", nameof(parameter));
            }
            byte[] name = Utf8.Encode(parameter, nameof(parameter), out UIntPtr len);
            IntPtr err;
            ResultCode code;
            if (value is string)
            {
                byte[] text = Utf8.Encode((string)value, parameter, out UIntPtr textLen);
                code = NativeMethods.mx_command_add_string(command, name, len, text, textLen, out err);
            }
            else if (value is bool)
            {
                code = NativeMethods.mx_command_add_bool(command, name, len, (bool)value, out err);
            }
            else if (value is SwitchParameter)
            {
                code = ((SwitchParameter)value).IsPresent
                    ? NativeMethods.mx_command_add_switch(command, name, len, out err)
                    : NativeMethods.mx_command_add_bool(command, name, len, false, out err);
            }
            else if (value is SecureString)
            {
                using (var utf8 = new SecureUtf8((SecureString)value))
                {
                    code = NativeMethods.mx_command_add_secure(command, name, len, utf8.Pointer, utf8.Length, out err);
                }
            }
            else if (value is PSCredential)
            {
                throw new ArgumentException(
                    "Parameter " + parameter + ": PSCredential values cannot be sent as command parameters by this library version.",
                    nameof(value));
            }
            else if (JsonText.IsInteger(value) && !(value is ulong && (ulong)value > long.MaxValue))
            {
                code = NativeMethods.mx_command_add_int(command, name, len, Convert.ToInt64(value), out err);
            }
            else
            {
                byte[] json = Utf8.Encode(JsonText.Write(value), parameter, out UIntPtr jsonLen);
                code = NativeMethods.mx_command_add_json(command, name, len, json, jsonLen, out err);
            }
            Ensure.Success(code, err);
        }
    }
}
