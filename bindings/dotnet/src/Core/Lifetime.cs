using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Monosync.Exchange.Core
{
    /// <summary>
    /// What a borrowed <c>mx_object</c> lives on. Every read of a borrowed pointer happens
    /// between <see cref="Enter"/> and <see cref="Exit"/>; once the owner is gone,
    /// <see cref="Enter"/> throws <see cref="ObjectDisposedException"/> instead of letting the
    /// pointer dangle.
    /// </summary>
    internal abstract class Lifetime
    {
        /// <summary>Keeps the owner alive until <see cref="Exit"/>; throws if it is gone.</summary>
        internal abstract void Enter();

        /// <summary>Ends what <see cref="Enter"/> began.</summary>
        internal abstract void Exit();
    }

    /// <summary>Objects borrowed from an <c>mx_result</c>: live while its handle is open.</summary>
    internal sealed class HandleLifetime : Lifetime
    {
        private readonly SafeHandle owner;

        internal HandleLifetime(SafeHandle owner)
        {
            this.owner = owner;
        }

        internal override void Enter()
        {
            bool added = false;
            // Throws ObjectDisposedException once the result was disposed.
            owner.DangerousAddRef(ref added);
        }

        internal override void Exit() => owner.DangerousRelease();
    }

    /// <summary>
    /// Objects lent by a streaming callback: live until <see cref="Close"/>, which waits for
    /// reads in progress so that the callback returns only when nobody reads its pointers.
    /// </summary>
    internal sealed class ScopeLifetime : Lifetime
    {
        private readonly object gate = new object();
        private int readers;
        private bool closed;

        internal override void Enter()
        {
            lock (gate)
            {
                if (closed)
                {
                    throw new ObjectDisposedException(
                        "ExchangeObject",
                        "A streamed object is valid only until the enumeration moves on; copy what you need (ToJson, indexer) before that.");
                }
                readers++;
            }
        }

        internal override void Exit()
        {
            lock (gate)
            {
                readers--;
                if (readers == 0)
                {
                    Monitor.PulseAll(gate);
                }
            }
        }

        /// <summary>Ends the scope once the reads in progress are done.</summary>
        internal void Close()
        {
            lock (gate)
            {
                closed = true;
                while (readers > 0)
                {
                    Monitor.Wait(gate);
                }
            }
        }
    }
}
