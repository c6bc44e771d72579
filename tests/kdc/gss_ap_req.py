"""GSSAPI round trip against the test realm: the path pypsrp/pyspnego take for Kerberos.

A client gets alice's credentials from her password (gss_acquire_cred_with_password, no
ccache), builds the first Kerberos token for HTTP@sim.monosync.test, and a server accepts it
with the service keytab. Reads the variables written by start-kdc.sh (STATE_DIR/env).

Prints one "ok <name>" or "FAIL <name>: <why>" line per check and exits non-zero when any
check failed.
"""

import os
import sys

import gssapi
import gssapi.raw

KRB5_OID = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
# GSS_C_INQ_SSPI_SESSION_KEY: returns the session key and its enctype OID (MIT krb5 >= 1.10).
SESSION_KEY_OID = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2.5.5")
KRB5_OID_DER = bytes.fromhex("06092a864886f712010202")
# Tag of a Kerberos AP-REQ: [APPLICATION 14], RFC 4120 5.5.1.
AP_REQ_TAG = 0x6E
AES256_ETYPE = 18

failures = 0


def check(name, cond, why=""):
    global failures
    if cond:
        print(f"ok {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {why}")


def der_length(buf, pos):
    """Reads a DER length at pos; returns (length, position after it)."""
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    return int.from_bytes(buf[pos + 1 : pos + 1 + n], "big"), pos + 1 + n


def split_initial_token(tok):
    """Splits an RFC 2743 3.1 initial context token into (mech OID DER, TOK_ID, inner)."""
    if not tok or tok[0] != 0x60:
        raise ValueError(f"token does not start with 0x60: {tok[:4].hex()}")
    length, pos = der_length(tok, 1)
    if pos + length != len(tok):
        raise ValueError(f"outer length {length} does not match token size {len(tok)}")
    oid_len = tok[pos + 1]
    oid = tok[pos : pos + 2 + oid_len]
    pos += 2 + oid_len
    return oid, tok[pos : pos + 2], tok[pos + 2 :]


def main():
    realm = os.environ["MX_KRB5_REALM"]
    host = os.environ["MX_KRB5_SERVICE_HOST"]
    user = f"{os.environ['MX_KRB5_USER']}@{realm}"
    password = os.environ["MX_KRB5_PASSWORD"].encode()
    service_principal = os.environ["MX_KRB5_SERVICE_PRINCIPAL"]

    name = gssapi.Name(user, gssapi.NameType.kerberos_principal)
    creds = gssapi.raw.acquire_cred_with_password(
        name, password, usage="initiate", mechs=[KRB5_OID]
    ).creds
    check("acquire_cred_with_password", creds is not None)

    target = gssapi.Name(f"HTTP@{host}", gssapi.NameType.hostbased_service)
    flags = (
        gssapi.RequirementFlag.mutual_authentication
        | gssapi.RequirementFlag.integrity
        | gssapi.RequirementFlag.confidentiality
        | gssapi.RequirementFlag.out_of_sequence_detection
    )
    client = gssapi.SecurityContext(
        name=target, creds=creds, usage="initiate", mech=KRB5_OID, flags=flags
    )
    token = client.step()
    oid, tok_id, inner = split_initial_token(token)
    check("token mech is krb5", oid == KRB5_OID_DER, oid.hex())
    check("TOK_ID is KRB_AP_REQ (01 00)", tok_id == b"\x01\x00", tok_id.hex())
    check("inner token is an AP-REQ", inner[:1] == bytes([AP_REQ_TAG]), inner[:1].hex())
    check(
        "AP-REQ names the service",
        b"HTTP" in inner and host.encode() in inner and realm.encode() in inner,
        "service name or realm not in the ticket's clear part",
    )

    # Server side: the keytab (KRB5_KTNAME) holds the key derived from the service password.
    server_name = gssapi.Name(service_principal, gssapi.NameType.kerberos_principal)
    server_creds = gssapi.Credentials(name=server_name, usage="accept")
    server = gssapi.SecurityContext(creds=server_creds, usage="accept")
    reply = server.step(token)
    check("acceptor completes", server.complete)
    check(
        "acceptor sees alice",
        str(server.initiator_name) == user,
        str(server.initiator_name),
    )
    check("mutual auth reply present", bool(reply))
    client.step(reply)
    check("initiator completes", client.complete)

    key = gssapi.raw.inquire_sec_context_by_oid(client, SESSION_KEY_OID)
    etype_oid = key[1] if len(key) > 1 else b""
    # The enctype comes back as OID 1.2.840.113554.1.2.2.4.<etype>; its last byte is the etype.
    check(
        "session key is aes256-cts-hmac-sha1-96",
        len(key[0]) == 32 and etype_oid[-1:] == bytes([AES256_ETYPE]),
        f"key {len(key[0])} bytes, etype oid {etype_oid.hex()}",
    )

    sealed = client.wrap(b"client to server", True)
    check("client wrap is encrypted", sealed.encrypted)
    check("server unwraps", server.unwrap(sealed.message).message == b"client to server")
    sealed = server.wrap(b"server to client", True)
    check("client unwraps", client.unwrap(sealed.message).message == b"server to client")

    try:
        gssapi.raw.acquire_cred_with_password(
            name, b"wrong-password", usage="initiate", mechs=[KRB5_OID]
        )
        check("wrong password refused", False, "credentials were issued")
    except gssapi.exceptions.GSSError as e:
        check("wrong password refused", True, str(e))

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
