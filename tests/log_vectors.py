#!/usr/bin/env python3
"""Independent check of protocol-spec/vectors/log.json, written from protocol-spec/log.md alone.

Uses only the standard library (hashlib, base64); the Ed25519 signatures are checked too
when the `cryptography` package happens to be installed. Reads one local file, downloads
nothing. Run: python3 tests/log_vectors.py [path/to/log.json]
"""
import base64
import binascii
import hashlib
import json
import os
import sys


def sha(b):
    return hashlib.sha256(b).digest()


def leaf(d):  # log.md 2.1
    return sha(b"\x00" + d)


def node(l, r):  # log.md 2.1
    return sha(b"\x01" + l + r)


def mth(leaves):  # log.md 2.2, the recursive definition
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaf(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def stored(leaves):  # log.md 2.3
    out, frontier = [], []
    for i, d in enumerate(leaves):
        h = leaf(d)
        out.append(h)
        t = 0
        while (i >> t) & 1:
            h = node(frontier.pop(), h)
            out.append(h)
            t += 1
        frontier.append(h)
    return out


def check_inclusion(proof, n, root, i, h):  # log.md 2.4
    if i >= n:
        return False
    f, s, r = i, n - 1, h
    for p in proof:
        if s == 0:
            return False
        if f & 1 or f == s:
            r = node(p, r)
            while not f & 1 and f != 0:
                f, s = f >> 1, s >> 1
        else:
            r = node(r, p)
        f, s = f >> 1, s >> 1
    return s == 0 and r == root


def check_consistency(proof, n, rn, m, rm):  # log.md 2.5
    if m > n:
        return False
    if m == 0:
        return not proof and rm == sha(b"")
    if m == n:
        return not proof and rm == rn
    if not proof:
        return False
    path = ([rm] if m & (m - 1) == 0 else []) + list(proof)
    f, s = m - 1, n - 1
    while f & 1:
        f, s = f >> 1, s >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if s == 0:
            return False
        if f & 1 or f == s:
            fr, sr = node(c, fr), node(c, sr)
            while not f & 1 and f != 0:
                f, s = f >> 1, s >> 1
        else:
            sr = node(sr, c)
        f, s = f >> 1, s >> 1
    return s == 0 and fr == rm and sr == rn


def tile_path(kind, n, w):  # log.md 3.2
    groups = ["%03d" % (n % 1000)]
    while n >= 1000:
        n //= 1000
        groups.append("x%03d" % (n % 1000))
    return "tile/%s/%s%s" % (kind, "/".join(reversed(groups)), "" if w == 256 else ".p/%d" % w)


def b64(s):  # log.md 1: canonical standard base64 only
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode() != s:
        raise ValueError("non-canonical base64: " + s)
    return raw


def key_id(name, typ, pk):  # log.md 4.2
    return sha(name.encode() + b"\n" + bytes([typ]) + pk)[:4]


def parse_vkey(s):  # log.md 4.3
    name, kid, key = s.split("+", 2)
    raw = b64(key)
    assert len(kid) == 8 and kid == kid.lower() and len(raw) == 33
    assert key_id(name, raw[0], raw[1:]).hex() == kid
    return name, bytes.fromhex(kid), raw[0], raw[1:]


def parse_note(text):  # log.md 4.1, 4.5
    assert all(ord(c) >= 0x20 or c == "\n" for c in text)
    split = text.rindex("\n\n")
    body, sigs = text[: split + 1], text[split + 2 :]
    assert sigs.endswith("\n") and sigs != "\n"
    lines = []
    for line in sigs[:-1].split("\n"):
        assert line.startswith("\u2014 ")
        name, sig = line[2:].split(" ", 1)
        raw = b64(sig)
        lines.append((name, raw[:4], raw[4:]))
    return body, lines


def parse_checkpoint(body):  # log.md 5.1
    assert body.endswith("\n")
    lines = body[:-1].split("\n")
    assert len(lines) >= 3 and all(lines)
    origin, size, root = lines[:3]
    assert size.isdigit() and (size == "0" or not size.startswith("0"))
    raw = b64(root)
    assert len(raw) == 32
    return origin, int(size), raw


def ed25519_verify(pk, sig, msg):
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return None
    Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)  # raises if invalid
    return True


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "protocol-spec", "vectors", "log.json")
    v = json.load(open(path))
    hx = bytes.fromhex
    leaves = [hx(l) for l in v["leaves"]]
    assert [leaf(l).hex() for l in leaves] == v["leaf_hashes"]
    assert [h.hex() for h in stored(leaves)] == v["stored_hashes"]
    for r in v["roots"]:
        assert mth(leaves[: r["size"]]).hex() == r["root"], r
    for p in v["inclusion"]:
        proof = [hx(h) for h in p["proof"]]
        assert check_inclusion(proof, p["size"], hx(p["root"]), p["index"], hx(p["leaf_hash"])), p
        assert not check_inclusion(proof, p["size"], hx(p["root"]), p["index"], leaf(b"x"))
    for p in v["consistency"]:
        proof = [hx(h) for h in p["proof"]]
        assert check_consistency(proof, p["new_size"], hx(p["new_root"]), p["old_size"], hx(p["old_root"])), p
        assert mth(leaves[: p["old_size"]]).hex() == p["old_root"]
    for t in v["tiles"]:
        assert tile_path(str(t["level"]), t["index"], t["width"]) == t["path"], t
    eb = v["entry_bundle"]
    entries = [hx(e) for e in eb["entries"]]
    assert b"".join(len(e).to_bytes(2, "big") + e for e in entries).hex() == eb["bundle"]
    assert tile_path("entries", 0, len(entries)) == eb["path"]

    log_name, log_id, log_type, log_pk = parse_vkey(v["log_key"]["verifier_key"])
    w_name, w_id, w_type, w_pk = parse_vkey(v["witness_key"]["verifier_key"])
    assert (log_type, w_type) == (1, 4)
    assert log_id.hex() == v["log_key"]["key_id"] and w_id.hex() == v["witness_key"]["key_id"]
    origin, size, root = parse_checkpoint(v["checkpoint"])
    assert (origin, size, root.hex()) == (log_name, 8, v["roots"][8]["root"])

    body, sigs = parse_note(v["cosignature"]["cosigned_checkpoint"])
    assert body == v["checkpoint"]
    assert parse_note(v["signed_checkpoint"]) == (body, sigs[:1])
    checked = None
    for name, kid, sig in sigs:
        if (name, kid) == (log_name, log_id):
            assert len(sig) == 64
            checked = ed25519_verify(log_pk, sig, body.encode())
        elif (name, kid) == (w_name, w_id):
            assert len(sig) == 72
            ts = int.from_bytes(sig[:8], "big")
            assert ts == v["cosignature"]["timestamp"] and ts < 2**63
            msg = ("cosignature/v1\ntime %d\n" % ts + body).encode()
            assert msg.decode() == v["cosignature"]["signed_message"]
            ed25519_verify(w_pk, sig[8:], msg)
        else:
            raise AssertionError("unexpected signature " + name)
    print("log vectors: ok" + ("" if checked else " (Ed25519 not checked: no `cryptography` module)"))


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, ValueError, binascii.Error) as e:
        print("log vectors: FAILED", repr(e))
        sys.exit(1)
