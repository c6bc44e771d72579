#!/usr/bin/env python3
"""Provision mailboxes: the provisioning flow of docs/python.md, as a Python host runs it.

    python provision.py URL [--user CONTOSO\\Administrator] [--name "Dana Scully"]

Runs the flow twice (the second run changes nothing): enable a mailbox for a user that has
none, set its properties, create a distribution group unless it exists, add the mailbox to
it. Creates a second mailbox with a password unless it exists and grants a delegate access,
reads every mailbox as a stream, cancels a command from another thread, reads from eight
threads through a pool, runs a command into a 1 ms time limit, and closes.

The URL (e.g. ``http://127.0.0.1:5985/PowerShell`` from ``mx-sim``) may also come from
MX_URL; the password from MX_PASSWORD (default: the simulator's administrator password).
Exit codes: 0 done, 1 an Exchange error or a step that did not behave, 2 bad usage.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import threading

import monosync_exchange as mx

failures = 0


def expect(condition: bool, what: str) -> None:
    global failures
    if not condition:
        print(f"unexpected: {what}", file=sys.stderr)
        failures += 1


# region: logging
def on_log(record: mx.LogRecord) -> None:
    # Runs on the library's own dispatcher thread, never on the caller's.
    print(f"[{record.level}] {record.target}: {record.message}", file=sys.stderr)


def install_logging() -> None:
    # Or mx.log_to_logging("info") to forward to the logging module.
    mx.set_log_handler(on_log, "warning")
# endregion


# region: connect
def connect(
    url: str, user: str, password: mx.SecureString, invoke_timeout: float = 120.0
) -> mx.Session:
    return mx.Session(
        url,
        auth="ntlm",
        username=user,
        password=password,
        connect_timeout=10.0,
        # One whole command: past it the command is stopped on the server and
        # invoke() raises ExchangeTimeoutError.
        invoke_timeout=invoke_timeout,
    )
# endregion


# region: enable
def enable_mailbox(session: mx.Session, user: str) -> bool:
    """Enables a mailbox for `user`: True when it did, False when it had one already."""
    result = session.invoke("Enable-Mailbox", Identity=user)
    for error in result.errors:
        # Exchange reports most failures as non-terminating error records.
        if error.kind == mx.ErrorKind.AlreadyExists:
            return False
        raise error.to_exception()
    return True
# endregion


# region: set
def set_properties(session: mx.Session, user: str) -> None:
    """Sets the mailbox's properties; setting them again changes nothing."""
    session.invoke(
        "Set-Mailbox",
        Identity=user,
        Office="HQ-PY",
        CustomAttribute1="provisioned",
        HiddenFromAddressListsEnabled=False,
        EmailAddresses={"Add": [f"smtp:{user.lower().replace(' ', '.')}.py@contoso.com"]},
    ).raise_for_errors()
# endregion


# region: group
def ensure_group(session: mx.Session, group: str) -> bool:
    """Creates the group unless it exists: True when it did."""
    try:
        # -ErrorAction Stop turns Exchange's "not found" into an exception.
        session.invoke("Get-DistributionGroup", Identity=group, ErrorAction="Stop")
        return False
    except mx.NotFoundError:
        session.invoke("New-DistributionGroup", Name=group).raise_for_errors()
        return True


def add_member(session: mx.Session, group: str, user: str) -> bool:
    """Adds `user` to `group`: True when it did, False when it was a member already."""
    result = session.invoke("Add-DistributionGroupMember", Identity=group, Member=user)
    for error in result.errors:
        if error.kind == mx.ErrorKind.AlreadyExists:
            return False
        raise error.to_exception()
    return True
# endregion


# region: provision
def provision(session: mx.Session, user: str, group: str) -> tuple[bool, bool, bool]:
    """The flow's steps, each idempotent: run again, it finds its work done.
    Says what each changed: the mailbox enabled, the group created, the member added."""
    enabled = enable_mailbox(session, user)
    set_properties(session, user)
    created = ensure_group(session, group)
    added = add_member(session, group, user)
    return enabled, created, added
# endregion


def create_with_delegate(session: mx.Session, name: str, delegate: str) -> mx.PSObject:
    """A new mailbox with a password unless it exists, and a delegate's FullAccess."""
    alias = name.lower().replace(" ", ".")
    upn = f"{alias}@contoso.com"
    try:
        mailbox = session.invoke("Get-Mailbox", Identity=upn, ErrorAction="Stop")[0]
        print(f"found {mailbox.PrimarySmtpAddress}")
    except mx.NotFoundError:
        first, _, last = name.partition(" ")
        mailbox = session.invoke(
            "New-Mailbox",
            Name=name,
            Alias=alias,
            FirstName=first,
            LastName=last,
            UserPrincipalName=upn,
            Password=mx.SecureString("Initial!Passw0rd"),
            ResetPasswordOnNextLogon=True,
        ).raise_for_errors()[0]
        print(f"created {mailbox.PrimarySmtpAddress} in {mailbox.Database}")
    granted = session.invoke(
        "Add-MailboxPermission", Identity=upn, User=delegate, AccessRights="FullAccess"
    )
    for error in granted.errors:
        if error.kind != mx.ErrorKind.AlreadyExists:
            raise error.to_exception()
    for warning in granted.warnings:
        print(f"warning: {warning.message}")
    return session.invoke("Get-Mailbox", Identity=upn)[0]


# region: stream
def count_mailboxes(session: mx.Session) -> tuple[int, set[str]]:
    """Reads every mailbox as it arrives, never holding the whole list."""
    names = set()
    count = 0
    stream = session.stream("Get-Mailbox", ResultSize="Unlimited")
    for mailbox in stream:
        count += 1
        names.add(mailbox.Name)
    stream.raise_for_errors()
    return count, names
# endregion


# region: cancel
def cancel_from_another_thread(session: mx.Session) -> str:
    """Session.cancel() from another thread stops the running command on the server;
    the reader's next() raises CancelledError."""
    try:
        for _ in session.stream("Get-Mailbox", ResultSize="Unlimited"):
            # After the first mailbox, as a user's "stop" or a shutdown would.
            canceller = threading.Thread(target=session.cancel)
            canceller.start()
            canceller.join()
        return "completed"
    except mx.CancelledError as e:
        return e.kind.label
# endregion


# region: timeout
def time_limit(url: str, user: str, password: mx.SecureString) -> str:
    """A session whose commands may take 1 ms: reading every mailbox takes longer, so the
    command is stopped on the server and invoke() raises ExchangeTimeoutError."""
    with connect(url, user, password, invoke_timeout=0.001) as session:
        try:
            session.invoke("Get-Mailbox", ResultSize="Unlimited")
            return "completed"
        except mx.ExchangeTimeoutError as e:
            return e.kind.label
# endregion


# region: pool
def read_in_parallel(url: str, user: str, password: mx.SecureString, names: list[str]) -> int:
    """Eight threads share a pool of two sessions: two commands run at a time, the other
    callers wait for a free session. A read that fails for a passing reason is retried on
    another session; a state change whose outcome is unknown raises OutcomeUnknownError."""
    with mx.Pool(
        [url], max_sessions=2, auth="ntlm", username=user, password=password
    ) as pool:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as threads:
            found = threads.map(lambda name: len(pool.invoke("Get-Mailbox", Identity=name)), names)
            total = sum(found)
        expect(pool.stats["opened"] <= 2, "at most two sessions")
    return total
# endregion


def pick_user(session: mx.Session) -> str:
    """The first user without a mailbox."""
    users = session.invoke("Get-User", RecipientTypeDetails="User")
    expect(len(users) > 0, "a user without a mailbox")
    return users[0].Name


def run(args: argparse.Namespace, password: mx.SecureString) -> None:
    # region: run
    with connect(args.url, args.user, password) as session:
        user = pick_user(session)
        group = f"py-example-group-{os.getpid()}"
        first = provision(session, user, group)  # (True, True, True)
        again = provision(session, user, group)  # (False, False, False): nothing to do
        # endregion
        print(f"{user}: first run enabled, created, added = {first}")
        print(f"{user}: second run enabled, created, added = {again}")
        expect(first == (True, True, True), "the first run does every step")
        expect(again == (False, False, False), "the second run changes nothing")

        mailbox = create_with_delegate(session, args.name, args.delegate)
        print(
            f"{mailbox.DisplayName}: {mailbox.PrimarySmtpAddress}, "
            f"{len(mailbox.EmailAddresses)} addresses"
        )

        count, names = count_mailboxes(session)
        print(f"Get-Mailbox -ResultSize Unlimited, streamed: {count} mailboxes")
        expect(user in names and args.name in names, "both mailboxes are listed")

        outcome = cancel_from_another_thread(session)
        print(f"cancelled from another thread: {outcome}")
        expect(outcome == "cancelled", "the stream raises CancelledError")
        print(f"{session.round_trips['wsman']} WS-Management round trips")
    # The with block closed the session: its shell is deleted on the server.
    expect(session.closed, "the session is closed")

    some = sorted(names)[:16]
    found = read_in_parallel(args.url, args.user, password, some)
    print(f"pool: {found} of {len(some)} mailboxes read by 8 threads on 2 sessions")
    expect(found == len(some), "every mailbox found through the pool")

    outcome = time_limit(args.url, args.user, password)
    print(f"with a 1 ms limit: {outcome}")
    expect(outcome == "timeout", "invoke() raises ExchangeTimeoutError")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("MX_URL"))
    parser.add_argument("--user", default="CONTOSO\\Administrator")
    parser.add_argument("--name", default="Dana Scully")
    parser.add_argument("--delegate", default="justin.martin")
    args = parser.parse_args()
    if not args.url:
        parser.error("give the endpoint URL or set MX_URL")
    password = mx.SecureString(os.environ.get("MX_PASSWORD", "P@ssw0rd!"))
    install_logging()
    try:
        run(args, password)
    except mx.ExchangeError as e:
        print(f"error ({e.kind}): {e.message or e}", file=sys.stderr)
        if e.hint:
            print(f"hint: {e.hint}", file=sys.stderr)
        return 1
    finally:
        mx.set_log_handler(None)
    if failures:
        print(f"{failures} steps did not go as expected")
        return 1
    print("every step went as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
