#!/usr/bin/env python3
"""Provision a mailbox: create it (or find it), set its attributes, grant a delegate, and
read it back.

    python provision.py URL [--user CONTOSO\\Administrator] [--name "Dana Scully"]

The URL (e.g. ``http://127.0.0.1:5985/PowerShell`` from ``mx-sim``) may also come from
MX_URL; the password from MX_PASSWORD (default: the simulator's administrator password).
Exit codes: 0 done, 1 an Exchange error, 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys

import monosync_exchange as mx


def provision(session: mx.Session, name: str, delegate: str) -> mx.PSObject:
    alias = name.lower().replace(" ", ".")
    upn = f"{alias}@contoso.com"
    try:
        # -ErrorAction Stop turns Exchange's "not found" into an exception.
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

    session.invoke(
        "Set-Mailbox",
        Identity=upn,
        CustomAttribute1="provisioned",
        EmailAddresses={"Add": [f"smtp:{alias}.alias@contoso.com"]},
    ).raise_for_errors()

    granted = session.invoke(
        "Add-MailboxPermission", Identity=upn, User=delegate, AccessRights="FullAccess"
    )
    for error in granted.errors:
        if error.kind != mx.ErrorKind.AlreadyExists:
            raise error.to_exception()
    for warning in granted.warnings:
        print(f"warning: {warning.message}")

    return session.invoke("Get-Mailbox", Identity=upn)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("MX_URL"))
    parser.add_argument("--user", default="CONTOSO\\Administrator")
    parser.add_argument("--auth", default="ntlm")
    parser.add_argument("--name", default="Dana Scully")
    parser.add_argument("--delegate", default="justin.martin")
    args = parser.parse_args()
    if not args.url:
        parser.error("give the endpoint URL or set MX_URL")
    password = mx.SecureString(os.environ.get("MX_PASSWORD", "P@ssw0rd!"))
    try:
        with mx.Session(
            args.url, auth=args.auth, username=args.user, password=password
        ) as session:
            mailbox = provision(session, args.name, args.delegate)
            print(
                f"{mailbox.DisplayName}: {mailbox.PrimarySmtpAddress}, "
                f"{len(mailbox.EmailAddresses)} addresses, "
                f"CustomAttribute1={mailbox.CustomAttribute1!r}, "
                f"{session.round_trips['wsman']} WS-Management round trips"
            )
    except mx.ExchangeError as e:
        print(f"error ({e.kind}): {e.message or e}", file=sys.stderr)
        if e.hint:
            print(f"hint: {e.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
