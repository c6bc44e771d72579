using System;
using System.Runtime.InteropServices;

namespace Monosync.Exchange.Core
{
    // Typed stand-ins for the C library's opaque types: borrowed pointers are `mx_object*`
    // and `mx_record*`, never a bare IntPtr, so one cannot be passed where the other belongs.
#pragma warning disable 0169, 0649
    internal struct mx_object { }

    internal struct mx_record { }

    /// <summary>`mx_str`: a borrowed UTF-8 view (pointer and length, no NUL).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MxStr
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    /// <summary>`mx_progress`: a progress record's fields, strings borrowed from the record.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MxProgress
    {
        public MxStr Activity;
        public MxStr Status;
        public MxStr CurrentOperation;
        public int ActivityId;
        public int ParentActivityId;
        public int PercentComplete;
        public int SecondsRemaining;
        // C `bool`: one byte; kept as a byte so the struct stays blittable.
        public byte Completed;
    }
#pragma warning restore 0169, 0649

    /// <summary>`mx_result_code`: stable numbers, 1 to 99 mirror the error kinds.</summary>
    internal enum ResultCode : uint
    {
        Ok = 0,
        Cancelled = 11,
        InvalidArgument = 100,
        Panic = 101,
        End = 102,
        NoSuchProperty = 103,
        WrongType = 104,
        LoggerInUse = 105,
    }

    /// <summary>`mx_stream`.</summary>
    internal enum StreamId : uint
    {
        Output = 0,
        Error = 1,
        Warning = 2,
        Verbose = 3,
        Debug = 4,
        Information = 5,
        Progress = 6,
    }

    /// <summary>`mx_timeout`.</summary>
    internal enum TimeoutId : uint
    {
        Connect = 0,
        Read = 1,
        Request = 2,
        Operation = 3,
        Invoke = 4,
        Idle = 5,
        Open = 6,
    }
}
