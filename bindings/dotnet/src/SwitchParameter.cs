namespace Monosync.Exchange
{
    /// <summary>
    /// A switch parameter value: <see cref="Present"/> sends <c>-Name</c>;
    /// <c>new SwitchParameter(false)</c> sends <c>-Name:$false</c> (as for <c>-Confirm:$false</c>).
    /// A plain <c>true</c> works as well.
    /// </summary>
    public struct SwitchParameter
    {
        /// <summary>A switch given with the given state.</summary>
        public SwitchParameter(bool isPresent)
        {
            IsPresent = isPresent;
        }

        /// <summary>The switch, given.</summary>
        public static SwitchParameter Present => new SwitchParameter(true);

        /// <summary>Whether the switch is on.</summary>
        public bool IsPresent { get; }

        /// <inheritdoc/>
        public override string ToString() => IsPresent ? "-Present" : "-Present:$false";
    }
}
