using System;
using System.Collections.Generic;
using System.Globalization;
using Monosync.Exchange.Core;

namespace Monosync.Exchange
{
    /// <summary>
    /// One value of a command's output, read in place from the native result: an Exchange
    /// object with properties by name and type names, or a nested value of one.
    /// It lives as long as the <see cref="ExchangeResult"/> it came from (or, when streamed,
    /// until the enumeration moves on); afterwards every member throws
    /// <see cref="ObjectDisposedException"/>. Safe to read from several threads.
    /// </summary>
    public sealed unsafe class ExchangeObject
    {
        private readonly Lifetime owner;
        private readonly mx_object* value;

        internal ExchangeObject(Lifetime owner, mx_object* value)
        {
            this.owner = owner;
            this.value = value;
        }

        /// <summary>The property names, in PowerShell's order (extended, then adapted).</summary>
        public IReadOnlyList<string> PropertyNames
        {
            get
            {
                owner.Enter();
                try
                {
                    int n = (int)NativeMethods.mx_object_property_count(value).ToUInt64();
                    var names = new List<string>(n);
                    for (int i = 0; i < n; i++)
                    {
                        names.Add(Utf8.Decode(NativeMethods.mx_object_property_name(value, new UIntPtr((uint)i))));
                    }
                    return names;
                }
                finally
                {
                    owner.Exit();
                }
            }
        }

        /// <summary>The type names, most derived first
        /// (<c>Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox</c>, ...); empty for scalars.</summary>
        public IReadOnlyList<string> TypeNames
        {
            get
            {
                owner.Enter();
                try
                {
                    int n = (int)NativeMethods.mx_object_type_name_count(value).ToUInt64();
                    var names = new List<string>(n);
                    for (int i = 0; i < n; i++)
                    {
                        names.Add(Utf8.Decode(NativeMethods.mx_object_type_name(value, new UIntPtr((uint)i))));
                    }
                    return names;
                }
                finally
                {
                    owner.Exit();
                }
            }
        }

        /// <summary>
        /// The property <paramref name="name"/> as a .NET value: <see cref="string"/> for text
        /// and for objects Exchange renders as text (enums, identities, sizes), <see cref="long"/>,
        /// <see cref="bool"/>, <see cref="double"/>, a read-only list of values for
        /// multi-valued properties, an <see cref="ExchangeObject"/> for other nested objects,
        /// or null when the value is null or the property is absent (as PowerShell reads it).
        /// </summary>
        public object this[string name]
        {
            get
            {
                byte[] bytes = Utf8.Encode(name, nameof(name), out UIntPtr len);
                owner.Enter();
                try
                {
                    ResultCode code = NativeMethods.mx_object_property_string(value, bytes, len, out MxStr text, out IntPtr err);
                    if (code == ResultCode.Ok)
                    {
                        return Utf8.Decode(text);
                    }
                    if (code == ResultCode.NoSuchProperty)
                    {
                        Free(err);
                        return null;
                    }
                    if (code != ResultCode.WrongType)
                    {
                        throw Ensure.Exception(code, err);
                    }
                    Free(err);
                    mx_object* property = Property(bytes, len);
                    return property == null ? null : Convert(property);
                }
                finally
                {
                    owner.Exit();
                }
            }
        }

        /// <summary>Whether the object has a property <paramref name="name"/>.</summary>
        public bool HasProperty(string name)
        {
            byte[] bytes = Utf8.Encode(name, nameof(name), out UIntPtr len);
            owner.Enter();
            try
            {
                return Property(bytes, len) != null;
            }
            finally
            {
                owner.Exit();
            }
        }

        /// <summary>The property <paramref name="name"/> as text (see the indexer); null when absent or null.</summary>
        public string GetString(string name)
        {
            object v = this[name];
            return v == null ? null : v as string ?? System.Convert.ToString(v, CultureInfo.InvariantCulture);
        }

        /// <summary>The property <paramref name="name"/> as a nested object, without converting
        /// it to text; null when absent.</summary>
        public ExchangeObject GetObject(string name)
        {
            byte[] bytes = Utf8.Encode(name, nameof(name), out UIntPtr len);
            owner.Enter();
            try
            {
                mx_object* property = Property(bytes, len);
                return property == null ? null : new ExchangeObject(owner, property);
            }
            finally
            {
                owner.Exit();
            }
        }

        /// <summary>The items when the value is a list (an array, a MultiValuedProperty); empty otherwise.</summary>
        public IReadOnlyList<ExchangeObject> Items
        {
            get
            {
                owner.Enter();
                try
                {
                    int n = (int)NativeMethods.mx_object_list_count(value).ToUInt64();
                    var items = new List<ExchangeObject>(n);
                    for (int i = 0; i < n; i++)
                    {
                        items.Add(new ExchangeObject(owner, NativeMethods.mx_object_list_item(value, new UIntPtr((uint)i))));
                    }
                    return items;
                }
                finally
                {
                    owner.Exit();
                }
            }
        }

        /// <summary>The value as JSON: properties by name, plus <c>$type</c>, <c>$toString</c> and
        /// <c>$value</c> keys; SecureStrings are never shown.</summary>
        public string ToJson()
        {
            owner.Enter();
            try
            {
                Ensure.Success(NativeMethods.mx_object_json(value, out IntPtr json, out IntPtr err), err);
                return Utf8.Take(json);
            }
            finally
            {
                owner.Exit();
            }
        }

        /// <summary>The text PowerShell shows for the value: its ToString, or a scalar's text.</summary>
        public override string ToString()
        {
            owner.Enter();
            try
            {
                Ensure.Success(NativeMethods.mx_object_to_string(value, out IntPtr text, out IntPtr err), err);
                return Utf8.Take(text);
            }
            finally
            {
                owner.Exit();
            }
        }

        /// <summary>The property, or null when absent. Call between Enter and Exit.</summary>
        private mx_object* Property(byte[] name, UIntPtr len)
        {
            ResultCode code = NativeMethods.mx_object_property(value, name, len, out mx_object* property, out IntPtr err);
            if (code == ResultCode.NoSuchProperty)
            {
                Free(err);
                return null;
            }
            Ensure.Success(code, err);
            return property;
        }

        /// <summary>A nested value as .NET value (see the indexer). Call between Enter and Exit.</summary>
        private object Convert(mx_object* v)
        {
            int items = (int)NativeMethods.mx_object_list_count(v).ToUInt64();
            if (items > 0)
            {
                var list = new List<object>(items);
                for (int i = 0; i < items; i++)
                {
                    list.Add(Convert(NativeMethods.mx_object_list_item(v, new UIntPtr((uint)i))));
                }
                return list;
            }
            if (NativeMethods.mx_object_property_count(v).ToUInt64() > 0 || NativeMethods.mx_object_type_name_count(v).ToUInt64() > 0)
            {
                return new ExchangeObject(owner, v);
            }
            // A scalar: its JSON tells the type, its display text gives a string's content
            // without unescaping.
            Ensure.Success(NativeMethods.mx_object_json(v, out IntPtr jsonPtr, out IntPtr err), err);
            string json = Utf8.Take(jsonPtr);
            switch (json.Length == 0 ? 'n' : json[0])
            {
                case 'n':
                    return null;
                case 't':
                    return true;
                case 'f':
                    return false;
                case '[':
                    return new List<object>();
                case '"':
                    Ensure.Success(NativeMethods.mx_object_to_string(v, out IntPtr text, out IntPtr err2), err2);
                    return Utf8.Take(text);
                default:
                    if (long.TryParse(json, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l))
                    {
                        return l;
                    }
                    if (double.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                    {
                        return d;
                    }
                    return new ExchangeObject(owner, v);
            }
        }

        private static void Free(IntPtr err)
        {
            if (err != IntPtr.Zero)
            {
                NativeMethods.mx_error_free(err);
            }
        }
    }
}
