#!/usr/bin/env python3
"""Writes fuzz seeds into fuzz/corpus/<target>/ from the recorded Windows conversations and,
when given an mx-sim binary, from mx-sim's answers to the same requests.

  extract-seeds.py [--captures DIR] [--sim PATH_TO_MX_SIM] [--out fuzz/corpus]

From each SOAP envelope: the envelope (soap), the base64 PSRP payloads it carries
(fragment: a mode byte, then the fragments as sent), the messages they reassemble into
(psrp_message) and their CLIXML bodies (clixml), the first few also in UTF-16 and behind the
`#< CLIXML` line `powershell.exe -OutputFormat xml` writes; plus CLIXML shapes the captures
lack (reference cycles, `<PR>` progress records, stream-tagged values). The HTTP layer is not in the captures, so
the sealed and auth_header seeds are framed here the way WinRM frames them ([MS-WSMV] 2.2.9.1)
around those envelopes, plus the WWW-Authenticate values mx-sim sends.

Standard library only: CI runs it before the fuzz targets.
"""

import argparse
import base64
import hashlib
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def default_captures():
    """`shared/fixtures/windows-captures` in the nearest ancestor that has it (next to the
    repository in CI, further up in a worktree)."""
    d = HERE
    while True:
        candidate = os.path.join(d, "shared", "fixtures", "windows-captures")
        if os.path.isdir(candidate) or os.path.dirname(d) == d:
            return candidate
        d = os.path.dirname(d)


PAYLOAD_RE = re.compile(
    rb"<(?:[A-Za-z0-9]+:)?(creationXml|Arguments|Stream|connectXml|connectResponseXml)\b[^>]*>"
    rb"([A-Za-z0-9+/=\s]+)</"
)
BOUNDARY = b"Encrypted Boundary"
SEAL_MIMES = [
    b"application/HTTP-SPNEGO-session-encrypted",
    b"application/HTTP-Kerberos-session-encrypted",
    b"application/HTTP-CredSSP-session-encrypted",
]
# WWW-Authenticate values as WinRM and IIS write them (one header value a line).
AUTH_SEEDS = [
    b"Negotiate",
    b"Negotiate\nKerberos\nBasic realm=\"WSMAN\"",
    b"Negotiate, Basic realm=\"WSMAN\"",
    b"Basic realm=\"WSMAN\", charset=\"UTF-8\"",
    b"Kerberos YIGeBgkqhkiG9xIBAgICAG+BjjCBi6ADAgEFoQMCAQ8=",
    b"Negotiate TlRMTVNTUAACAAAADAAMADgAAAA1goniESIzRFVmd4gAAAAAAAAAAEAAQABEAAAA",
    b"NTLM TlRMTVNTUAACAAAAAAAAAAAAAAA=\nNegotiate",
    b"Digest realm=\"x\", qop=\"auth,auth-int\", nonce=\"a\\\"b\"",
    b"CredSSP",
]


OBJS = b'<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
PR = (
    b"<AV>Copying</AV><AI>3</AI><S>a.txt</S><PI>-1</PI><PC>42</PC><T>Processing</T>"
    b"<SR>7</SR><SD>3 of 7</SD>"
)
# What PowerShell writes and the captures do not show.
CLIXML_SHAPES = [
    # An Exchange ADObjectId whose DomainId is itself.
    b'<Obj RefId="0"><TN RefId="0"><T>Deserialized.Microsoft.Exchange.Data.Directory.ADObjectId</T>'
    b'</TN><MS><S N="Name">contoso.com</S><Ref RefId="0" N="DomainId" /></MS><ToString>contoso.com'
    b"</ToString></Obj>",
    # PSDrive -> Provider -> Drives -> the same PSDrive.
    OBJS + b'<Obj RefId="0"><MS><S N="Name">C</S><Obj RefId="1" N="Provider"><MS><Obj RefId="2" '
    b'N="Drives"><LST><Ref RefId="0" /></LST></Obj></MS></Obj></MS></Obj><Ref RefId="1" /></Objs>',
    # A list and a dictionary that contain themselves.
    b'<Obj RefId="0"><LST><S>x</S><Ref RefId="0" /><Obj RefId="1"><DCT><En><S N="Key">me</S>'
    b'<Ref N="Value" RefId="1" /></En></DCT></Obj></LST></Obj>',
    b"<PR>" + PR + b"</PR>",
    b'<Obj RefId="0"><PR>' + PR.replace(b"<S>a.txt</S>", b"<Nil />") + b"</PR><MS><I32 N=\"x\">1</I32></MS></Obj>",
    b"#< CLIXML\r\n" + OBJS + b'<Obj S="progress" RefId="0"><MS><I64 N="SourceId">1</I64>'
    b'<PR N="Record">' + PR + b'</PR></MS></Obj><S S="Error">boom_x000D__x000A_</S></Objs>\r\n'
    + OBJS + b'<Obj RefId="0"><MS><S N="a">b</S></MS></Obj></Objs>',
]


def encodings(body):
    """`body` (UTF-8, maybe with a byte-order mark) as UTF-16LE and UTF-16BE with a byte-order
    mark, and behind the `#< CLIXML` line."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    return [
        b"\xff\xfe" + text.encode("utf-16-le"),
        b"\xfe\xff" + text.encode("utf-16-be"),
        b"#< CLIXML\r\n" + text.encode("utf-8"),
    ]


class Writer:
    """Writes each distinct input once, named by its SHA-1 as libFuzzer does."""

    def __init__(self, out):
        self.out = out
        self.counts = {}

    def put(self, target, data, limit=256 * 1024):
        if not data or len(data) > limit:
            return
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.counts[target] = self.counts.get(target, 0) + 1


def read_capture(path):
    """The envelopes of one capture file, in order (see its README for the YAML subset)."""
    envelopes = []
    current = None
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            m = re.match(rb"^(?:- |  )(request|response): (.*)$", line)
            if m:
                if current is not None:
                    envelopes.append(current)
                current = [m.group(1).decode(), m.group(2)]
            elif line.startswith(b"    ") and current is not None:
                current[1] += b" " + line.strip()
            else:
                if current is not None:
                    envelopes.append(current)
                current = None
    if current is not None:
        envelopes.append(current)
    return [(kind, body) for kind, body in envelopes if body.startswith(b"<")]


def fragments(data):
    """[MS-PSRP] 2.2.4: object id, fragment id, flags, length (all big-endian), blob."""
    out = []
    while len(data) >= 21:
        oid, fid, flags, n = struct.unpack(">QQBI", data[:21])
        blob = data[21 : 21 + n]
        if len(blob) != n:
            break
        out.append((oid, fid, flags, blob))
        data = data[21 + n :]
    return out


def seal(mime, plain):
    head = (
        b"--" + BOUNDARY + b"\r\n\tContent-Type: " + mime
        + b"\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(plain)).encode()
        + b"\r\n--" + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
    )
    return head + struct.pack("<I", 16) + bytes(range(16)) + plain + b"--" + BOUNDARY + b"--\r\n"


def add_envelope(w, kind, body, partial):
    w.put("soap", body)
    for m in PAYLOAD_RE.finditer(body):
        try:
            raw = base64.b64decode(b"".join(m.group(2).split()), validate=True)
        except ValueError:
            continue
        w.put("fragment", b"\x00" + raw)
        w.put("fragment", b"\x03" + raw)
        for oid, _fid, flags, blob in fragments(raw):
            key = (kind, oid)
            if flags & 1:
                partial[key] = b""
            partial[key] = partial.get(key, b"") + blob
            if flags & 2:
                message = partial.pop(key)
                w.put("psrp_message", message)
                w.put("clixml", message[40:])
                if w.counts.get("clixml", 0) < 8:
                    for variant in encodings(message[40:]):
                        w.put("clixml", variant)


def from_captures(w, captures):
    files = sorted(f for f in os.listdir(captures) if f.endswith(".yml"))
    sealed = 0
    for name in files:
        partial = {}
        for kind, body in read_capture(os.path.join(captures, name)):
            add_envelope(w, kind, body, partial)
            if kind == "response" and len(body) < 8192 and sealed < 24:
                w.put("sealed", seal(SEAL_MIMES[sealed % len(SEAL_MIMES)], body))
                sealed += 1
    for mime in SEAL_MIMES:
        w.put("sealed", b'multipart/encrypted;protocol="' + mime + b'";boundary="Encrypted Boundary"')
    for value in AUTH_SEEDS:
        w.put("auth_header", value)
    for shape in CLIXML_SHAPES:
        w.put("clixml", shape)
        for variant in encodings(shape):
            w.put("clixml", variant)
    return files


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post(url, body, auth):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/soap+xml;charset=UTF-8")
    if auth:
        req.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get_all("WWW-Authenticate") or [], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get_all("WWW-Authenticate") or [], e.read()


def from_sim(w, sim, captures, files):
    """Replays the captured requests to mx-sim over Basic and keeps its answers. The shell and
    command ids the captures name are mapped to the ones mx-sim hands out, and long polls are
    cut to a fifth of a second."""
    port = free_port()
    proc = subprocess.Popen(
        [sim, "--listen", f"127.0.0.1:{port}", "--allow-unencrypted"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/wsman"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for extra in (None, "Negotiate"):
            _, challenges, _ = post(url, b"", extra)
            if challenges:
                w.put("auth_header", "\n".join(challenges).encode())
        auth = "Basic " + base64.b64encode(b"Administrator:P@ssw0rd!").decode()
        for name in files:
            ids = {}
            partial = {}
            exchanges = read_capture(os.path.join(captures, name))
            for i, (kind, body) in enumerate(exchanges):
                if kind != "request":
                    continue
                for old, new in ids.items():
                    body = body.replace(old, new)
                body = re.sub(rb"<wsman:OperationTimeout>[^<]*<", b"<wsman:OperationTimeout>PT0.2S<", body)
                status, _, answer = post(url, body, auth)
                if not answer.startswith(b"<"):
                    continue
                add_envelope(w, "response", answer, partial)
                expected = exchanges[i + 1][1] if i + 1 < len(exchanges) else b""
                for tag in (rb"ShellId", rb"CommandId"):
                    got = re.search(rb"<(?:\w+:)?" + tag + rb">([0-9A-Fa-f-]{36})<", answer)
                    old = re.search(rb"<(?:\w+:)?" + tag + rb">([0-9A-Fa-f-]{36})<", expected)
                    if got and old:
                        ids[old.group(1)] = got.group(1)
                        ids[old.group(1).lower()] = got.group(1)
                if status >= 500 and b"Fault" not in answer:
                    break
    finally:
        proc.terminate()
        proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--captures", default=default_captures())
    p.add_argument("--sim", help="an mx-sim binary to replay the captured requests to")
    p.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = p.parse_args()
    w = Writer(args.out)
    if not os.path.isdir(args.captures):
        sys.exit(f"no captures at {args.captures}")
    files = from_captures(w, args.captures)
    if args.sim:
        try:
            from_sim(w, args.sim, args.captures, files)
        except OSError as e:
            # The capture seeds are enough to fuzz; say why mx-sim's are missing.
            print(f"no seeds from mx-sim: {e}", file=sys.stderr)
    print("seeds written: " + ", ".join(f"{t} {n}" for t, n in sorted(w.counts.items())))


if __name__ == "__main__":
    main()
