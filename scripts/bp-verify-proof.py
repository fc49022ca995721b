#!/usr/bin/env python3
"""Check budgetpolicy ledger checkpoints and proofs without budgetpolicy: Python 3.9+ standard library only.

  bp-verify-proof.py checkpoint CP [--key KEY ...]
      CP is a C2SP tlog-checkpoint ('budgetpolicy ledger checkpoint' writes one). Checks its form and,
      with --key, that it carries a valid Ed25519 signature by each key.
  bp-verify-proof.py proof PROOF.json [--key KEY ...] [--trusted CP]
      PROOF.json is what 'budgetpolicy ledger prove' writes.
      inclusion: recomputes the record's chain hash from its columns and payload, its RFC 9162 leaf
        hash, and the root its audit path leads to, which must be the checkpoint's root.
      consistency: checks the RFC 9162 path shows the old checkpoint's tree is a prefix of the new one.
      --key checks the signatures of every checkpoint in the proof; --trusted CP requires the proof's
      checkpoint (inclusion) or its old checkpoint (consistency) to be exactly the one you kept.

KEY is a verifier key line (NAME+KEYID+BASE64, printed by 'ledger checkpoint --key') or a PEM Ed25519
public key ('openssl pkey -in key.pem -pubout'). Ed25519 is verified in pure Python, from the
reference algorithm of RFC 8032 section 5.1.7 (slow, about 10 ms a signature, and not constant time,
which does not matter for checking public signatures).

Exit 0 when everything checks, 1 when a check fails (the first one is named), 2 for unreadable input.
The rules this script applies are written out in docs/audit.md; it shares no code with budgetpolicy on
purpose: an auditor should not have to trust the software that wrote the ledger to check it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys

EM_DASH = "\u2014"


class Failed(Exception):
    """A check failed: the proof, checkpoint or signature does not hold."""


class BadInput(Exception):
    """The input cannot be read as what it should be."""


# -- RFC 9162 Merkle tree ----------------------------------------------------------------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, digest: bytes, proof: list) -> bytes:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        raise Failed(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, r = index, size - 1, digest
    for p in proof:
        if sn == 0:
            raise Failed("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Failed("the inclusion proof is shorter than the tree is deep")
    return r


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list) -> None:
    """RFC 9162 2.1.4.2."""
    if not 0 <= old <= new:
        raise Failed(f"a tree of {new} leaves cannot extend one of {old}")
    if old == new or old == 0:
        if proof:
            raise Failed("the consistency proof should be empty for these sizes")
        if old == new and old_root != new_root:
            raise Failed(f"two trees of {old} leaves with different roots")
        return
    if not proof:
        raise Failed("the consistency proof is empty")
    path = ([old_root] if old & (old - 1) == 0 else []) + list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failed("the consistency proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Failed("the consistency proof is shorter than the trees are deep")
    if fr != old_root:
        raise Failed(f"the proof does not lead to the old checkpoint's root (tree of {old})")
    if sr != new_root:
        raise Failed(f"the proof does not lead to the new checkpoint's root (tree of {new})")


# -- the ledger's chain rule -------------------------------------------------------------------------

def record_hash(record: dict) -> str:
    """sha256_hex(prev_hash + "\\n" + header + "\\n" + payload), header the compact JSON array below."""
    header = json.dumps([record["seq"], record["kind"], record["initiative_id"], record["period"],
                         record["policy_id"], record["policy_version"], record["policy_sha256"],
                         record["evaluated_at"]], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{record['prev_hash']}\n{header}\n{record['payload']}".encode("utf-8")).hexdigest()


# -- Ed25519 verification (RFC 8032 5.1.7) -----------------------------------------------------------

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = 2 * t1 * t2 * D % P, 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def _decompress(data):
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    left, right = _mul(s, _G), _add(r, _mul(h, a))
    return (left[0] * right[2] - right[0] * left[2]) % P == 0 and (left[1] * right[2] - right[1] * left[2]) % P == 0


# -- checkpoints and keys (C2SP tlog-checkpoint, signed-note) ----------------------------------------

def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadInput(f"{what} is not base64") from None


def parse_checkpoint(text: str, where: str) -> dict:
    if not text.endswith("\n") or "\n\n" not in text:
        raise BadInput(f"{where}: not a checkpoint (a body, a blank line, signature lines, each ending in a newline)")
    body, _, sigs = text.partition("\n\n")
    lines = body.split("\n")
    if len(lines) < 3 or not lines[0] or not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise BadInput(f"{where}: not a checkpoint (origin, tree size and root hash lines)")
    root = _b64(lines[2], f"{where}: the root hash")
    if len(root) != 32:
        raise BadInput(f"{where}: the root hash is not 32 bytes")
    signatures = []
    for line in sigs.split("\n")[:-1]:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise BadInput(f"{where}: a signature line is not '{EM_DASH} NAME BASE64'")
        blob = _b64(parts[2], f"{where}: a signature")
        signatures.append((parts[1], blob[:4], blob[4:]))
    return {"origin": lines[0], "size": int(lines[1]), "root": root, "body": body + "\n",
            "signatures": signatures, "where": where}


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public).digest()[:4]


def read_key(path: str):
    """(name or None, 32-byte Ed25519 public key) from a verifier key line or a PEM public key."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(65536).strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"key {path}: cannot be read ({exc})") from None
    if text.startswith("-----BEGIN PUBLIC KEY-----"):
        der = _b64("".join(text.splitlines()[1:-1]), f"key {path}")
        if len(der) != 44 or der[:12] != bytes.fromhex("302a300506032b6570032100"):
            raise BadInput(f"key {path}: not an Ed25519 public key")
        return None, der[12:]
    parts = text.split("+", 2)
    raw = _b64(parts[2], f"key {path}") if len(parts) == 3 else b""
    if len(raw) != 33 or raw[0] != 1 or key_id(parts[0], raw[1:]).hex() != parts[1]:
        raise BadInput(f"key {path}: neither a verifier key line (NAME+KEYID+BASE64) nor a PEM public key")
    return parts[0], raw[1:]


def check_signed(checkpoint: dict, key, key_path: str) -> None:
    name, public = key
    lines = [s for s in checkpoint["signatures"] if name in (None, s[0]) and s[1] == key_id(s[0], public)]
    if not lines:
        raise Failed(f"{checkpoint['where']}: no signature by the key in {key_path}")
    if not any(ed25519_verify(public, checkpoint["body"].encode("utf-8"), s[2]) for s in lines):
        raise Failed(f"{checkpoint['where']}: the signature by '{lines[0][0]}' does not verify with {key_path}")


# -- commands -----------------------------------------------------------------------------------------

def _hashes(values, where: str) -> list:
    try:
        out = [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        raise BadInput(f"{where}: a proof hash is not hex") from None
    if any(len(h) != 32 for h in out):
        raise BadInput(f"{where}: a proof hash is not 32 bytes")
    return out


def check_inclusion(doc: dict, keys, trusted) -> str:
    checkpoint = parse_checkpoint(doc["checkpoint"], "the proof's checkpoint")
    _check_keys(checkpoint, keys)
    _check_trusted(checkpoint, trusted)
    record = doc["record"]
    if record_hash(record) != record["hash"]:
        raise Failed(f"record {record['seq']}: its columns and payload do not hash to its recorded hash")
    index, size = doc["leaf_index"], checkpoint["size"]
    if index != record["seq"] - 1 or doc["tree_size"] != size:
        raise Failed("the proof's leaf index or tree size does not match its record and checkpoint")
    digest = leaf_hash(bytes.fromhex(record["hash"]))
    if root_from_inclusion(index, size, digest, _hashes(doc["proof"], "proof")) != checkpoint["root"]:
        raise Failed(f"record {record['seq']} is not included in the tree of the checkpoint (size {size})")
    return (f"record {record['seq']} ({record['kind']} {record['initiative_id']}) is included in checkpoint "
            f"{checkpoint['origin']} of size {size}")


def check_consistency(doc: dict, keys, trusted) -> str:
    old = parse_checkpoint(doc["old_checkpoint"], "the proof's old checkpoint")
    new = parse_checkpoint(doc["new_checkpoint"], "the proof's new checkpoint")
    for checkpoint in (old, new):
        _check_keys(checkpoint, keys)
    _check_trusted(old, trusted)
    verify_consistency(old["size"], new["size"], old["root"], new["root"], _hashes(doc["proof"], "proof"))
    return f"the tree of size {new['size']} extends the tree of size {old['size']} ({old['origin']})"


def _check_keys(checkpoint: dict, keys) -> None:
    for path, key in keys:
        check_signed(checkpoint, key, path)


def _check_trusted(checkpoint: dict, trusted) -> None:
    if trusted is not None and (trusted["size"], trusted["root"]) != (checkpoint["size"], checkpoint["root"]):
        raise Failed(f"the proof's checkpoint (size {checkpoint['size']}) is not the one in {trusted['where']} "
                     f"(size {trusted['size']})")


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read(1 << 26)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot be read ({exc})") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bp-verify-proof.py", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("checkpoint", "proof"))
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--key", action="append", default=[], metavar="KEY",
                        help="require a valid Ed25519 signature by this key on every checkpoint (repeatable)")
    parser.add_argument("--trusted", metavar="CP", help="the checkpoint you kept: the proof must be about it")
    args = parser.parse_args(argv)
    try:
        keys = [(path, read_key(path)) for path in args.key]
        trusted = parse_checkpoint(_read_text(args.trusted), args.trusted) if args.trusted else None
        text = _read_text(args.file)
        if args.what == "checkpoint":
            checkpoint = parse_checkpoint(text, args.file)
            _check_keys(checkpoint, keys)
            _check_trusted(checkpoint, trusted)
            signed = f", signed by {len(keys)} key(s)" if keys else " (signatures not checked: no --key)"
            print(f"OK: checkpoint {checkpoint['origin']} of size {checkpoint['size']}{signed}")
            return 0
        try:
            doc = json.loads(text)
            kind = doc["type"]
            message = {"inclusion": check_inclusion, "consistency": check_consistency}[kind](doc, keys, trusted)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{args.file}: not a budgetpolicy proof ({type(exc).__name__}: {exc})") from None
        print(f"OK: {message}" + ("" if keys else " (signatures not checked: no --key)"))
        return 0
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
