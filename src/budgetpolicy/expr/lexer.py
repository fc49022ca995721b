"""First stage of the expression pipeline: source text to tokens with positions.

The lexer is a single hand-written loop (no regex backtracking on untrusted
input) that records the 1-based line and column of every token so later
stages can point at the exact character. Number literals keep their source
text so the compiler can build ``Decimal(text)`` exactly.
"""

from __future__ import annotations

from attrs import frozen

from budgetpolicy.errors import Location
from budgetpolicy.expr import _diag
from budgetpolicy.expr.ast import Span

KEYWORDS = frozenset({"and", "or", "not", "in", "if", "else", "true", "false", "null"})
# Longest first so "**" wins over "*" and "<=" over "<".
OPERATORS = ("**", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%",
             "(", ")", "[", "]", ",", ".")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


@frozen
class Token:
    """``kind`` is ``number``, ``string``, ``name``, ``keyword``, ``op`` or ``end``."""

    kind: str
    text: str  # operator/keyword/name text, number source text, or decoded string value
    span: Span


def tokenize(source: str, where: Location | None = None) -> list[Token]:
    """Split ``source`` into tokens, ending with an ``end`` token; BP301/BP305 on bad input."""
    if len(source) > _diag.MAX_SOURCE_LENGTH:
        raise _diag.error(_diag.LIMIT, f"expression is {len(source)} characters long, the limit is "
                          f"{_diag.MAX_SOURCE_LENGTH}", Span(1, 1), where,
                          "split it into several rules or move logic into a plugin function")
    tokens: list[Token] = []
    pos, line, line_start, n = 0, 1, 0, len(source)
    while True:
        while pos < n and source[pos] in " \t\r\n":
            if source[pos] == "\n":
                line, line_start = line + 1, pos + 1
            pos += 1
        span = Span(line, pos - line_start + 1)
        if pos >= n:
            tokens.append(Token("end", "", span))
            return tokens
        ch = source[pos]
        if ch.isdigit() and ch.isascii():
            token, pos = _number(source, pos, span, where)
            tokens.append(token)
        elif ch.isalpha() or ch == "_":
            token, pos = _word(source, pos, span, where)
            tokens.append(token)
        elif ch in "'\"":
            value, pos, line, line_start = _string(source, pos, line, line_start, span, where)
            tokens.append(Token("string", value, span))
        else:
            for op in OPERATORS:
                if source.startswith(op, pos):
                    tokens.append(Token("op", op, span))
                    pos += len(op)
                    break
            else:
                raise _diag.error(_diag.SYNTAX, f"unexpected character {ch!r}", span, where,
                                  _char_hint(ch))


def _digits_end(source: str, pos: int) -> int:
    """Where a run of ASCII digits and ``_`` separators starting at ``pos`` ends."""
    n = len(source)
    while pos < n and (source[pos].isascii() and source[pos].isdigit() or source[pos] == "_"):
        pos += 1
    return pos


def _number(source: str, pos: int, span: Span, where: Location | None) -> tuple[Token, int]:
    """The number literal at ``pos`` (``42``, ``25_000``, ``0.25``) and the position after it."""
    n = len(source)
    end = _digits_end(source, pos)
    if end + 1 < n and source[end] == "." and source[end + 1].isascii() and source[end + 1].isdigit():
        end = _digits_end(source, end + 1)
    text = source[pos:end]
    if len(text) > _diag.MAX_NUMBER_LENGTH:
        raise _diag.error(_diag.LIMIT, f"number literal has {len(text)} characters, the limit "
                          f"is {_diag.MAX_NUMBER_LENGTH}", span, where)
    if text.endswith("_") or "__" in text or "_." in text or "._" in text:
        raise _diag.error(_diag.SYNTAX, f"malformed number {text!r}", span, where,
                          "underscores may only separate digits, as in 25_000")
    if end < n and (source[end].isalpha() or source[end] == "_"):
        raise _diag.error(_diag.SYNTAX, f"malformed number {source[pos:end + 1]!r}", span, where,
                          "numbers are written like 42 or 0.25 (no exponent or suffix)")
    return Token("number", text.replace("_", ""), span), end


def _word(source: str, pos: int, span: Span, where: Location | None) -> tuple[Token, int]:
    """The name or keyword at ``pos`` and the position after it."""
    end, n = pos, len(source)
    while end < n and (source[end].isalnum() or source[end] == "_"):
        end += 1
    word = source[pos:end]
    if not word.isascii():
        raise _diag.error(_diag.SYNTAX, f"name {word!r} contains non-ASCII characters", span, where,
                          "names use ASCII letters, digits and _; write map[\"key\"] for other keys")
    if word.startswith("__"):
        raise _diag.error(_diag.SYNTAX, f"names starting with '__' are not allowed: {word!r}",
                          span, where)
    return Token("keyword" if word in KEYWORDS else "name", word, span), end


def _string(source: str, pos: int, line: int, line_start: int, span: Span,
            where: Location | None) -> tuple[str, int, int, int]:
    quote, n = source[pos], len(source)
    out: list[str] = []
    i = pos + 1
    while i < n:
        ch = source[i]
        if ch == quote:
            return "".join(out), i + 1, line, line_start
        if ch == "\n":
            break
        if ch == "\\":
            if i + 1 >= n:
                break
            esc = source[i + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 2
                continue
            if esc == "u":
                digits = source[i + 2:i + 6]
                if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                    if 0xD800 <= int(digits, 16) <= 0xDFFF:  # half a character: it could never be printed or hashed
                        raise _diag.error(_diag.SYNTAX, f"'\\u{digits}' is a lone surrogate, not a character",
                                          Span(line, i - line_start + 1), where,
                                          "write the character itself, or \\uXXXX of a character outside D800-DFFF")
                    out.append(chr(int(digits, 16)))
                    i += 6
                    continue
            raise _diag.error(_diag.SYNTAX, f"unknown escape '\\{esc}' in string",
                              Span(line, i - line_start + 1), where,
                              "use \\n, \\t, \\r, \\\\, \\', \\\", \\0 or \\uXXXX")
        out.append(ch)
        i += 1
    raise _diag.error(_diag.SYNTAX, "unterminated string", span, where,
                      f"close the string with {quote} on the same line")


def _char_hint(ch: str) -> str | None:
    return {
        "=": "use == to compare",
        "&": "use 'and'",
        "|": "use 'or'",
        "!": "use 'not' (or != to compare)",
        "{": "map literals are not supported; compare fields one by one",
        "@": None,
    }.get(ch)
