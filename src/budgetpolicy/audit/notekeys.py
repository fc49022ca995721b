"""Ed25519 keys for checkpoints: load the user's key, sign a checkpoint, check its signatures.

The signed-note rules (https://c2sp.org/signed-note) for an Ed25519 key named ``name``:

    key id       = SHA-256(name || "\\n" || 0x01 || public key)[:4]
    signature    = Ed25519(private key, note body)
    line         = "— " name " " base64(key id || signature)
    verifier key = name "+" hex(key id) "+" base64(0x01 || public key)   (what a verifier is given)

Keys are the user's: a PEM file (``openssl genpkey -algorithm ed25519``; its public half with
``openssl pkey -pubout``), or a verifier key line. ``cryptography`` does the Ed25519 arithmetic (the
one maintained, audited implementation in Python; it is imported only here). Bad key files are
LedgerError BP826.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from attrs import evolve, frozen
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from budgetpolicy.audit.checkpoint import NoteSignature, TreeCheckpoint
from budgetpolicy.errors import LedgerError, Location

ED25519 = b"\x01"  # the signed-note algorithm byte for Ed25519


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public).digest()[:4]


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verifier_key(name: str, key: Ed25519PublicKey) -> str:
    raw = public_bytes(key)
    return f"{name}+{key_id(name, raw).hex()}+{base64.b64encode(ED25519 + raw).decode('ascii')}"


def sign(checkpoint: TreeCheckpoint, key: Ed25519PrivateKey, name: str | None = None) -> TreeCheckpoint:
    """``checkpoint`` with one more signature line, by ``key`` under ``name`` (default: its origin)."""
    name = name or checkpoint.origin
    line = NoteSignature(name, key_id(name, public_bytes(key.public_key())),
                         key.sign(checkpoint.body().encode("utf-8")))
    return evolve(checkpoint, signatures=(*checkpoint.signatures, line))


@frozen
class PublicKey:
    """A key to check signatures with: its name when the key line gave one (a PEM file has none)."""

    key: Ed25519PublicKey
    name: str | None
    source: str


def signed_by(checkpoint: TreeCheckpoint, key: PublicKey) -> str | None:
    """None when a signature line of ``checkpoint`` is by ``key`` and verifies, else what is wrong."""
    raw = public_bytes(key.key)
    lines = [s for s in checkpoint.signatures
             if (key.name in (None, s.name)) and s.key_id == key_id(s.name, raw)]
    if not lines:
        names = ", ".join(sorted({s.name for s in checkpoint.signatures})) or "none"
        return f"{checkpoint.label} has no signature by the key in {key.source} (signed by: {names})"
    for line in lines:
        try:
            key.key.verify(line.signature, checkpoint.body().encode("utf-8"))
            return None
        except InvalidSignature:
            continue
    return (f"{checkpoint.label}: the signature by '{lines[0].name}' does not verify with the key in {key.source}: "
            f"the checkpoint was altered after it was signed, or signed by another key")


def load_private_key(path: str) -> Ed25519PrivateKey:
    data = _read(path)
    if b"ENCRYPTED" in data:
        raise _bad_key(path, "an encrypted key (give an unencrypted PEM key)")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _bad_key(path, "not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise _bad_key(path, "not an Ed25519 private key")
    return key


def load_public_key(path: str) -> PublicKey:
    """A PEM public key (or private key: its public half), or a file holding a verifier key line."""
    data = _read(path)
    text = data.decode("utf-8", "replace").strip()
    if "-----BEGIN" not in text:
        return _from_verifier_line(text, path)
    try:
        if "PRIVATE KEY" in text:
            private = serialization.load_pem_private_key(data, password=None)
            public: object = private.public_key() if isinstance(private, Ed25519PrivateKey) else None
        else:
            public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _bad_key(path, f"not a PEM key ({exc})") from exc
    if not isinstance(public, Ed25519PublicKey):
        raise _bad_key(path, "not an Ed25519 key")
    return PublicKey(public, None, path)


def _from_verifier_line(text: str, path: str) -> PublicKey:
    parts = text.split("+", 2)
    try:
        raw = base64.b64decode(parts[2], validate=True) if len(parts) == 3 else b""
    except ValueError:
        raw = b""
    if len(parts) != 3 or len(raw) != 33 or raw[:1] != ED25519 or key_id(parts[0], raw[1:]).hex() != parts[1]:
        raise _bad_key(path, "neither a PEM key nor a verifier key line (NAME+KEYID+BASE64)")
    return PublicKey(Ed25519PublicKey.from_public_bytes(raw[1:]), parts[0], path)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()[:65536]
    except OSError as exc:
        raise _bad_key(path, f"cannot be read: {exc.strerror or exc}") from exc


def _bad_key(path: str, why: str) -> LedgerError:
    return LedgerError(f"key '{path}': {why}", Location(file=path), code="BP826",
                       hint="make one with 'openssl genpkey -algorithm ed25519 -out key.pem' "
                            "(its public half: 'openssl pkey -in key.pem -pubout')")
