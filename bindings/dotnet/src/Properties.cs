using System.Runtime.CompilerServices;

// The tests read the live-handle counters of Core.Handles.NativeHandle.
[assembly: InternalsVisibleTo("Monosync.Exchange.Tests")]
