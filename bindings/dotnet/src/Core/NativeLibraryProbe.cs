using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// Finds libmonosync_exchange where the NuGet package puts it, runtimes/&lt;rid&gt;/native,
    /// and turns "not found" into an error naming every place looked at. .NET resolves the
    /// package's runtimes/ folder from the application's deps.json; Mono maps the name with
    /// Monosync.Exchange.dll.config (shipped next to the assembly in the package); .NET Framework
    /// on Windows gets the library preloaded from the first candidate that exists.
    /// </summary>
    internal static class NativeLibraryProbe
    {
        private static bool IsWindows
        {
            get { return Environment.OSVersion.Platform == PlatformID.Win32NT; }
        }

        /// <summary>The runtime identifier of the package folder: linux-x64, win-x64, ...</summary>
        internal static string RuntimeId
        {
            get { return (IsWindows ? "win-" : "linux-") + (IntPtr.Size == 8 ? "x64" : "x86"); }
        }

        /// <summary>The library's file name on this platform.</summary>
        internal static string FileName
        {
            get { return IsWindows ? "monosync_exchange.dll" : "libmonosync_exchange.so"; }
        }

        /// <summary>
        /// Where the library may be, in search order: the application's (or assembly's)
        /// runtimes/&lt;rid&gt;/native, the package's own runtimes folder when the assembly is
        /// used from lib/netstandard2.0 in place, and the assembly's directory.
        /// </summary>
        internal static IList<string> Candidates()
        {
            var found = new List<string>();
            string location = typeof(NativeLibraryProbe).Assembly.Location;
            if (string.IsNullOrEmpty(location))
            {
                return found;
            }
            string dir = Path.GetDirectoryName(Path.GetFullPath(location));
            string native = Path.Combine(Path.Combine("runtimes", RuntimeId), "native");
            found.Add(Path.Combine(Path.Combine(dir, native), FileName));
            found.Add(Path.GetFullPath(Path.Combine(Path.Combine(dir, Path.Combine("..", "..")), Path.Combine(native, FileName))));
            found.Add(Path.Combine(dir, FileName));
            return found;
        }

        /// <summary>
        /// Loads the library (preloading a packaged copy on Windows) and checks that it answers;
        /// throws <see cref="DllNotFoundException"/> naming the paths tried when it is missing.
        /// </summary>
        internal static void Load()
        {
            IList<string> candidates = Candidates();
            if (IsWindows)
            {
                foreach (string path in candidates)
                {
                    if (File.Exists(path) && LoadLibraryW(path) != IntPtr.Zero)
                    {
                        break;
                    }
                }
            }
            try
            {
                NativeMethods.mx_abi_version();
            }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException(NotFoundMessage(candidates, e.Message), e);
            }
        }

        private static string NotFoundMessage(IList<string> candidates, string detail)
        {
            var text = new System.Text.StringBuilder();
            text.Append("The native library ").Append(FileName).Append(" of Monosync.Exchange was not found. Tried: ");
            foreach (string path in candidates)
            {
                text.Append(path).Append(File.Exists(path) ? " (exists but did not load), " : " (missing), ");
            }
            text.Append(IsWindows
                ? "and the DLL search path (the application directory, PATH)."
                : "and the system library path (LD_LIBRARY_PATH, ldconfig).");
            text.Append(" Copy the package's runtimes/").Append(RuntimeId)
                .Append("/native folder next to the application (as the .NET SDK does), or put the library's directory on ")
                .Append(IsWindows ? "PATH" : "LD_LIBRARY_PATH").Append(".");
            string config = typeof(NativeLibraryProbe).Assembly.Location + ".config";
            if (Type.GetType("Mono.Runtime") != null && File.Exists(config))
            {
                text.Append(" On Mono, ").Append(config)
                    .Append(" maps the library to runtimes/: remove that file to load it from LD_LIBRARY_PATH instead.");
            }
            text.Append(" Loader: ").Append(detail);
            return text.ToString();
        }

        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern IntPtr LoadLibraryW(string path);
    }
}
