"""pyspnego round trip against the test realm: the exact client pypsrp uses for Kerberos.

pypsrp's `auth="kerberos"` sends a raw Kerberos token and `auth="negotiate"` a SPNEGO one;
both come from pyspnego, which with user + password gets a TGT itself (python-krb5) and
then drives GSSAPI. The SPN host is given explicitly (pypsrp: negotiate_hostname_override),
so the client may connect to 127.0.0.1. A pyspnego server with the service keytab
(KRB5_KTNAME) accepts the token. Needs pyspnego[kerberos] (gssapi + krb5 Python packages).

Prints one "ok <name>" or "FAIL <name>: <why>" line per check; exits non-zero on a failure.
"""

import os
import sys

import spnego

# First bytes of an initial token: 0x60, length, then the mechanism OID.
KRB5_OID_DER = bytes.fromhex("06092a864886f712010202")
SPNEGO_OID_DER = bytes.fromhex("06062b0601050502")

failures = 0


def check(name, cond, why=""):
    global failures
    if cond:
        print(f"ok {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {why}")


def round_trip(protocol, oid_der):
    realm = os.environ["MX_KRB5_REALM"]
    host = os.environ["MX_KRB5_SERVICE_HOST"]
    user = f"{os.environ['MX_KRB5_USER']}@{realm}"
    client = spnego.client(
        user,
        os.environ["MX_KRB5_PASSWORD"],
        hostname=host,
        service="HTTP",
        protocol=protocol,
    )
    server = spnego.server(protocol=protocol)
    token = client.step()
    check(
        f"{protocol}: first token carries the {protocol} OID",
        token[:1] == b"\x60" and oid_der in token[:24],
        token[:24].hex(),
    )
    while not (client.complete and server.complete):
        reply = server.step(token)
        if client.complete:
            break
        token = client.step(reply)
        if token is None:
            break
    check(f"{protocol}: both sides complete", client.complete and server.complete)
    check(f"{protocol}: negotiated kerberos", client.negotiated_protocol == "kerberos",
          client.negotiated_protocol)
    check(f"{protocol}: server sees alice", server.client_principal == user,
          str(server.client_principal))
    sealed = client.wrap(b"payload", encrypt=True)
    check(f"{protocol}: sealed message round trip",
          server.unwrap(sealed.data).data == b"payload")


def main():
    round_trip("kerberos", KRB5_OID_DER)
    round_trip("negotiate", SPNEGO_OID_DER)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
