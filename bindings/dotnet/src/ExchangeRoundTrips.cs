namespace Monosync.Exchange
{
    /// <summary>The round trips a session made: WS-Management operations and HTTP requests
    /// (authentication legs included).</summary>
    public struct ExchangeRoundTrips
    {
        /// <summary>Creates the counts.</summary>
        public ExchangeRoundTrips(ulong wsman, ulong http)
        {
            WsMan = wsman;
            Http = http;
        }

        /// <summary>WS-Management operations.</summary>
        public ulong WsMan { get; }

        /// <summary>HTTP requests.</summary>
        public ulong Http { get; }
    }
}
