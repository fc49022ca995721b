"""First stage of the pipeline: read a policy TOML file into a frozen :class:`~budgetpolicy.model.Policy`.

Steps, each reporting every problem it finds before the next runs:

1. read the file (BP101 missing/unreadable, BP102 not UTF-8, BP103 empty, BP106 over 1 MiB,
   BP109 a lone surrogate in text given through the API);
2. parse TOML with floats read as exact ``Decimal`` (BP104 malformed, with
   tomllib's line and column; BP105 NaN or infinity anywhere; BP107 nested over 32 deep,
   BP108 a string over 64 KiB, BP109 a lone surrogate: :mod:`budgetpolicy.policy.limits`);
3. check the JSON Schema ``schemas/policy.schema.json`` (BP110-BP117, see
   :mod:`budgetpolicy.policy.schema`);
4. build the model objects (:mod:`budgetpolicy.policy.build`);
5. semantic checks (BP2xx, :mod:`budgetpolicy.policy.checks`).

``load_policy`` raises :class:`~budgetpolicy.errors.PolicyLoadError` carrying
all error diagnostics; ``check_policy`` returns the policy (or None) with
errors and warnings, for ``budgetpolicy validate``. Key paths count array
items from 0: ``approval.rules[2].condition`` is the third rule's condition.
Expressions and scorer/plugin names are checked later, by the compile stage.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from budgetpolicy.canonical import sha256_hex
from budgetpolicy.errors import Diagnostic, Diagnostics, Location, PolicyLoadError
from budgetpolicy.model import Policy, PolicySource
from budgetpolicy.policy.build import build_policy
from budgetpolicy.policy.checks import semantic_diagnostics
from budgetpolicy.policy.limits import MAX_POLICY_BYTES, breaches, first_too_deep, lone_surrogate
from budgetpolicy.policy.schema import schema_diagnostics
from budgetpolicy.policy.locate import KeyPath, KeyPathDiagnostics, PolicyLocations, TomlLocator

__all__ = ["load_policy", "load_policy_text", "parse_policy_data", "policy_sha256",
           "check_policy", "check_policy_text"]

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read, parse, schema-check, build and semantically check the policy at ``path``."""
    policy, diags = check_policy(path)
    return _raise_on_errors(policy, diags)


def load_policy_text(text: str, path: str = "<string>", revision: str | None = None) -> Policy:
    """Same as :func:`load_policy` for text already read; ``path`` is only used in messages."""
    policy, diags = check_policy_text(text, path, revision)
    return _raise_on_errors(policy, diags)


def check_policy(path: str | os.PathLike[str]) -> tuple[Policy | None, list[Diagnostic]]:
    """Like :func:`load_policy` but returns (policy or None, errors and warnings) without raising."""
    file = os.fspath(path)
    try:
        raw = Path(file).read_bytes()
    except FileNotFoundError:
        return None, [Diagnostic("BP101", "policy file not found", Location(file=file),
                                 "check the path (relative paths start from the current directory)")]
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return None, [Diagnostic("BP101", f"cannot read policy file: {reason}", Location(file=file),
                                 "check that it is a readable file")]
    if len(raw) > MAX_POLICY_BYTES:
        return None, [_too_large(file, len(raw))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Diagnostic("BP102", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                                 Location(file=file, line=line, column=column),
                                 "save the file as UTF-8")]
    return check_policy_text(text.removeprefix("\ufeff"), file)


def check_policy_text(text: str, path: str = "<string>",
                      revision: str | None = None) -> tuple[Policy | None, list[Diagnostic]]:
    """All diagnostics for a policy text, and the policy when it has no errors."""
    at = lone_surrogate(text)
    if at is not None:  # only text from the API can hold one: a file is decoded strictly
        line = text.count("\n", 0, at) + 1
        return None, [Diagnostic("BP109", f"not valid Unicode: a lone surrogate U+{ord(text[at]):04X}",
                                 Location(file=path, line=line, column=at - (text.rfind("\n", 0, at) + 1) + 1),
                                 "pass text decoded from UTF-8 (a surrogate is half of a character)")]
    size = len(text.encode("utf-8"))
    if size > MAX_POLICY_BYTES:
        return None, [_too_large(path, size)]
    try:
        data = parse_policy_data(text, path)
    except PolicyLoadError as exc:
        return None, list(exc.diagnostics)
    places = PolicyLocations(path, TomlLocator(text))
    found = Diagnostics(places)
    for kind, message, where in breaches(data):
        found.add(_BREACH_CODES[kind], where, message, _BREACH_HINTS[kind])
    if found:  # the later steps walk the values: not through these
        return None, found.in_source_order()
    _non_finite(data, found)
    found.extend(schema_diagnostics(data, places))
    if found:
        return None, found.in_source_order()
    source = PolicySource(path=path, sha256=policy_sha256(data), text=text, revision=revision)
    policy = build_policy(data, source, places)
    semantic = semantic_diagnostics(policy)
    has_errors = any(d.severity == "error" for d in semantic)
    return (None if has_errors else policy), semantic


def parse_policy_data(text: str, path: str = "<string>") -> dict[str, Any]:
    """Parse TOML text with exact decimals; raises PolicyLoadError (BP103 empty, BP104 malformed)."""
    if not text.strip():
        raise PolicyLoadError([Diagnostic("BP103", "the policy file is empty", Location(file=path, line=1),
                                          "start from `budgetpolicy init` or an example policy")])
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except RecursionError:
        deep = first_too_deep(text)
        raise PolicyLoadError([Diagnostic("BP107", "arrays or tables nested too deeply to read",
                                          Location(file=path, line=deep[0] if deep else None,
                                                   column=deep[1] if deep else None),
                                          "a policy nests a few levels; remove the extra brackets")]) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else None
        message = _TOML_POSITION.sub("", message).strip()
        raise PolicyLoadError([Diagnostic("BP104", f"malformed TOML: {message}",
                                          Location(file=path, line=line, column=column),
                                          "fix the TOML syntax at this position")]) from None
    if not data:  # only comments and blank lines
        raise PolicyLoadError([Diagnostic("BP103", "the policy file has no keys", Location(file=path, line=1),
                                          "start from `budgetpolicy init` or an example policy")])
    return data


def policy_sha256(data: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of parsed policy data (sorted keys, Decimals as strings, ISO dates).

    Comments, whitespace, key order and table layout do not change it; any value does.
    """
    return sha256_hex(_canonical_ready(data))


def _canonical_ready(value: Any) -> Any:
    # canonical_json knows dates and datetimes; TOML also has times-of-day.
    if isinstance(value, Mapping):
        return {k: _canonical_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical_ready(v) for v in value]
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _non_finite(data: Any, found: KeyPathDiagnostics, path: KeyPath = ()) -> None:
    """BP105 for every NaN or infinity: they have no place in money or weights."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            _non_finite(value, found, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _non_finite(value, found, path + (i,))
    elif isinstance(data, Decimal) and not data.is_finite():
        found.add("BP105", path, f"{data} is not allowed", "use a finite number")


_BREACH_CODES = {"depth": "BP107", "length": "BP108", "unicode": "BP109"}
_BREACH_HINTS = {"depth": "a policy nests a few levels; remove the extra nesting",
                 "length": "shorten it: keep long text in a document and link to it",
                 "unicode": "replace it with the character meant (a surrogate is half of one)"}


def _too_large(file: str, size: int) -> Diagnostic:
    return Diagnostic("BP106", f"the policy is {size:,} bytes; the limit is {MAX_POLICY_BYTES:,} (1 MiB)",
                      Location(file=file), "split long text out of the policy; a policy is rules, not documents")


def _raise_on_errors(policy: Policy | None, diags: list[Diagnostic]) -> Policy:
    errors = [d for d in diags if d.severity == "error"]
    if errors or policy is None:
        raise PolicyLoadError(errors or diags)
    return policy
