using System.Collections.Generic;

namespace Monosync.Exchange
{
    /// <summary>Counts of an <see cref="ExchangePool"/>'s sessions and of what happened to them.</summary>
    public sealed class ExchangePoolStats
    {
        internal ExchangePoolStats(
            ulong sessions, ulong idle, ulong opened, ulong discarded, ulong idleClosed, ulong probes, ulong retries, IReadOnlyList<ulong> openedPerServer)
        {
            Sessions = sessions;
            Idle = idle;
            Opened = opened;
            Discarded = discarded;
            IdleClosed = idleClosed;
            Probes = probes;
            Retries = retries;
            OpenedPerServer = openedPerServer;
        }

        /// <summary>Sessions open now, in use or idle.</summary>
        public ulong Sessions { get; }

        /// <summary>Sessions open and free now.</summary>
        public ulong Idle { get; }

        /// <summary>Sessions opened so far, on every server.</summary>
        public ulong Opened { get; }

        /// <summary>Sessions closed because they broke or failed a probe.</summary>
        public ulong Discarded { get; }

        /// <summary>Sessions closed because they sat idle too long.</summary>
        public ulong IdleClosed { get; }

        /// <summary>Probes of sessions that sat idle before their reuse.</summary>
        public ulong Probes { get; }

        /// <summary>Commands sent again after a failure.</summary>
        public ulong Retries { get; }

        /// <summary>Sessions opened so far on each server: <see cref="ExchangeSessionOptions.Server"/>
        /// first, then <see cref="ExchangeSessionOptions.Servers"/> in order.</summary>
        public IReadOnlyList<ulong> OpenedPerServer { get; }
    }
}
