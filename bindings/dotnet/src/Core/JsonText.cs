using System;
using System.Collections;
using System.Globalization;
using System.Security;
using System.Text;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// Writes parameter values the C library takes as JSON (<c>mx_command_add_json</c>): lists
    /// become <c>Object[]</c>, dictionaries Hashtables. Secrets are refused here: they go only
    /// through <c>mx_command_add_secure</c>.
    /// </summary>
    internal static class JsonText
    {
        internal static string Write(object value)
        {
            var sb = new StringBuilder();
            Append(sb, value, 0);
            return sb.ToString();
        }

        private static void Append(StringBuilder sb, object value, int depth)
        {
            if (depth > 64)
            {
                throw new ArgumentException("The parameter value is nested more than 64 levels deep.");
            }
            if (value == null)
            {
                sb.Append("null");
            }
            else if (value is string)
            {
                AppendString(sb, (string)value);
            }
            else if (value is bool)
            {
                sb.Append((bool)value ? "true" : "false");
            }
            else if (value is SwitchParameter)
            {
                sb.Append(((SwitchParameter)value).IsPresent ? "true" : "false");
            }
            else if (value is SecureString || value is PSCredential)
            {
                throw new ArgumentException("A SecureString or PSCredential cannot be nested in a list or hashtable.");
            }
            else if (value is Enum || value is Guid)
            {
                AppendString(sb, value.ToString());
            }
            else if (value is DateTime)
            {
                AppendString(sb, ((DateTime)value).ToString("o", CultureInfo.InvariantCulture));
            }
            else if (value is float || value is double)
            {
                sb.Append(Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture));
            }
            else if (value is decimal)
            {
                sb.Append(((decimal)value).ToString(CultureInfo.InvariantCulture));
            }
            else if (IsInteger(value))
            {
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
            }
            else if (value is IDictionary)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    AppendString(sb, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    sb.Append(':');
                    Append(sb, entry.Value, depth + 1);
                }
                sb.Append('}');
            }
            else if (value is IEnumerable)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in (IEnumerable)value)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    Append(sb, item, depth + 1);
                }
                sb.Append(']');
            }
            else
            {
                throw new ArgumentException(
                    "Values of type " + value.GetType().FullName + " cannot be sent; use strings, integers, booleans, lists or dictionaries.");
            }
        }

        internal static bool IsInteger(object value) =>
            value is sbyte || value is byte || value is short || value is ushort || value is int || value is uint || value is long || value is ulong;

        private static void AppendString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20)
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
