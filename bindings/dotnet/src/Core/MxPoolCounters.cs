using System.Runtime.InteropServices;

namespace Monosync.Exchange.Core
{
    /// <summary><c>mx_pool_counters</c>: the layout <c>mx_pool_stats</c> writes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MxPoolCounters
    {
        internal ulong Sessions;
        internal ulong Idle;
        internal ulong Opened;
        internal ulong Discarded;
        internal ulong IdleClosed;
        internal ulong Probes;
        internal ulong Retries;
    }
}
