"""Checkpoints: a ledger's tree size and Merkle root as C2SP tlog-checkpoint text (a signed note).

A checkpoint is what an outsider keeps of a ledger at one moment (https://c2sp.org/tlog-checkpoint,
https://c2sp.org/signed-note)::

    budgetpolicy/audit.db                 origin: names the ledger (no spaces, no '+')
    44                                    tree size: the number of records
    3q2+7w8...=                           root hash: the RFC 9162 root of those records, base64
                                          a blank line, then any signature lines:
    — budgetpolicy/audit.db AbCdEf...=    an em dash, a key name, base64(4-byte key id || Ed25519 signature)

The signature covers the note body (the three lines, each ending in a newline). A checkpoint with
no signature line is still a valid statement to keep somewhere the ledger's writer cannot reach
(a ticket, an email, a git commit); a signed one also proves who issued it. This module reads and
writes the text; :mod:`budgetpolicy.audit.notekeys` signs and verifies (it needs ``cryptography``).
Parse errors are LedgerError BP825 naming the file and line.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from attrs import frozen

from budgetpolicy.errors import LedgerError, Location

EM_DASH = "\u2014"
_MAX_BYTES = 1 << 16  # a checkpoint is a few hundred bytes; refuse anything that is clearly not one


@frozen
class NoteSignature:
    """One signature line: the key's name, its 4-byte key id, and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode('ascii')}\n"


@frozen
class TreeCheckpoint:
    """A checkpoint: ``origin``, tree ``size`` and ``root`` (32 bytes), the signature lines, and the
    file it was read from (for messages; None when made here)."""

    origin: str
    size: int
    root: bytes
    signatures: tuple[NoteSignature, ...] = ()
    source: str | None = None
    extensions: tuple[str, ...] = ()  # lines after the root hash (C2SP extension lines), kept as signed

    def body(self) -> str:
        """The signed text: origin, size and base64 root (and any extension lines), each ending in a newline."""
        root = base64.b64encode(self.root).decode('ascii')
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))

    def text(self) -> str:
        return self.body() + "\n" + "".join(s.line() for s in self.signatures)

    @property
    def label(self) -> str:
        return f"checkpoint {self.source}" if self.source else f"the checkpoint of size {self.size}"


def check_origin(origin: str) -> str:
    if not origin or any(c.isspace() or c == "+" for c in origin) or not origin.isprintable():
        raise LedgerError(f"--origin {origin!r}: an origin is one word without spaces or '+'",
                          hint="e.g. example.org/budget-ledger (a schema-less URL naming the ledger)", code="BP825")
    return origin


def read_checkpoint(path: str) -> TreeCheckpoint:
    """Read and parse a checkpoint file (BP825 when it is missing, not text, or not a checkpoint)."""
    try:
        data = Path(path).read_bytes()[:_MAX_BYTES + 1]
    except OSError as exc:
        raise LedgerError(f"cannot read checkpoint '{path}': {exc.strerror or exc}", Location(file=path),
                          hint="give the file 'budgetpolicy ledger checkpoint ... -o FILE' wrote", code="BP825") from exc
    if len(data) > _MAX_BYTES:
        raise LedgerError(f"'{path}' is not a checkpoint: larger than {_MAX_BYTES} bytes", Location(file=path),
                          hint="give the file 'budgetpolicy ledger checkpoint' wrote", code="BP825")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerError(f"'{path}' is not a checkpoint: not UTF-8 text (byte {exc.start})", Location(file=path),
                          hint="give the file 'budgetpolicy ledger checkpoint' wrote", code="BP825") from exc
    return parse_checkpoint(text, path)


def parse_checkpoint(text: str, source: str | None = None) -> TreeCheckpoint:
    """A checkpoint from its text: the C2SP tlog-checkpoint body, a blank line, signature lines."""
    def bad(line: int, why: str) -> LedgerError:
        return LedgerError(f"not a checkpoint: {why}", Location(file=source or "<checkpoint>", line=line),
                           hint="a checkpoint is origin, tree size and base64 root hash lines, a blank line, "
                                "then signature lines ('budgetpolicy ledger checkpoint' writes one)", code="BP825")

    if not text.endswith("\n"):
        raise bad(max(text.count("\n"), 1), "the text does not end with a newline")
    lines = text[:-1].split("\n")
    if any(not line.isprintable() for line in lines):
        raise bad(next(i for i, line in enumerate(lines, 1) if not line.isprintable()), "a control character")
    if "" not in lines:
        raise bad(len(lines), "no blank line after the root hash")
    blank = lines.index("")
    if blank < 3:
        raise bad(blank + 1, "the origin, tree size and root hash lines are not all there")
    origin, size_text, root_text = lines[:3]
    if not origin or " " in origin:
        raise bad(1, "the origin line is empty or holds a space")
    if not size_text.isascii() or not size_text.isdigit() or (size_text.startswith("0") and size_text != "0") \
            or len(size_text) > 20:
        raise bad(2, f"the tree size {size_text!r} is not a decimal number")
    root = _b64(root_text)
    if root is None or len(root) != 32:
        raise bad(3, "the root hash is not 32 bytes of base64")
    signatures = []
    for number, line in enumerate(lines[blank + 1:], blank + 2):
        parts = line.split(" ")
        blob = _b64(parts[2]) if len(parts) == 3 else None
        if len(parts) != 3 or parts[0] != EM_DASH or not parts[1] or blob is None or len(blob) < 5:
            raise bad(number, "a signature line is not '\u2014 NAME BASE64'")
        signatures.append(NoteSignature(parts[1], blob[:4], blob[4:]))
    return TreeCheckpoint(origin, int(size_text), root, tuple(signatures), source, tuple(lines[3:blank]))


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
