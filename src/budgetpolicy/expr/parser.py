"""Second stage of the expression pipeline: tokens to a syntax tree (:mod:`.ast`).

A recursive-descent parser with precedence climbing for the arithmetic
operators. Nesting is bounded (``MAX_DEPTH``) both while parsing, so hostile
input cannot exhaust the Python stack, and on the finished tree, so the
compiled closures stay shallow.

Grammar (EBNF; lowest precedence first)::

    expression  = disjunction [ "if" disjunction "else" expression ] ;
    disjunction = conjunction { "or" conjunction } ;
    conjunction = negation { "and" negation } ;
    negation    = "not" negation | comparison ;
    comparison  = sum { compare_op sum }             (* a < b <= c means a < b and b <= c *)
                | sum ( "in" | "not" "in" ) sum ;    (* membership does not chain *)
    compare_op  = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
    sum         = product { ( "+" | "-" ) product } ;
    product     = unary { ( "*" | "/" | "%" ) unary } ;
    unary       = ( "-" | "+" ) unary | power ;
    power       = postfix [ "**" unary ] ;           (* right-associative: 2 ** -1, -2 ** 2 == -4 *)
    postfix     = primary { "." NAME | "[" expression "]" } ;
    primary     = NUMBER | STRING | "true" | "false" | "null"
                | NAME "(" [ expression { "," expression } [ "," ] ] ")"
                | NAME
                | "(" expression ")"
                | "[" [ expression { "," expression } [ "," ] ] "]" ;
    NUMBER      = digit { digit | "_" } [ "." digit { digit | "_" } ] ;
    STRING      = "'" { char | escape } "'" | '"' { char | escape } '"' ;
    escape      = "\\" ( "n" | "t" | "r" | "\\" | "'" | '"' | "0" | "u" hex hex hex hex ) ;
    NAME        = ( letter | "_" ) { letter | digit | "_" } ;   (* ASCII, not starting "__" *)

Keywords (``and or not in if else true false null``) cannot be names; a map
key that is a keyword or contains other characters is written ``m["key"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from budgetpolicy.errors import Location
from budgetpolicy.expr import _diag
from budgetpolicy.expr.ast import (Attribute, Binary, BoolOp, Call, Conditional, In, Index, ListLit, Literal,
                                   Name, Node, Not, Span, Unary, children)
from budgetpolicy.expr.lexer import Token, tokenize

_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ARITH_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}
_LITERALS = {"true": True, "false": False, "null": None}


def parse(source: str, where: Location | None = None) -> Node:
    """Parse one expression; raises ExpressionError (BP301 syntax, BP305 limits)."""
    node = _Parser(tokenize(source, where), where).parse()
    depth = tree_depth(node)
    if depth > _diag.MAX_DEPTH:
        raise _diag.error(_diag.LIMIT, f"expression nests {depth} levels deep, the limit is {_diag.MAX_DEPTH}",
                          node.span, where, "split it into several rules or use sum()/any() over a list")
    return node


def tree_depth(node: Node) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(current))
    return deepest


class _Parser:
    def __init__(self, tokens: list[Token], where: Location | None) -> None:
        self.tokens = tokens
        self.pos = 0
        self.where = where
        self.depth = 0

    # -- token helpers ------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.tokens[self.pos]
        return tok.kind == kind and (text is None or tok.text == text)

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            raise self.unexpected(what)
        return self.advance()

    def unexpected(self, expected: str, hint: str | None = None) -> Exception:
        tok = self.tok
        found = "end of expression" if tok.kind == "end" else _describe(tok)
        if hint is None and tok.kind == "keyword" and tok.text in ("and", "or", "in", "else", "if"):
            hint = f"'{tok.text}' needs an operand on both sides"
        return _diag.error(_diag.SYNTAX, f"expected {expected}, found {found}", tok.span, self.where, hint)

    def enter(self, span: Span) -> None:
        self.depth += 1
        if self.depth > _diag.MAX_DEPTH:
            raise _diag.error(_diag.LIMIT, f"expression nests more than {_diag.MAX_DEPTH} levels deep",
                              span, self.where, "simplify the expression")

    # -- grammar ------------------------------------------------------------

    def parse(self) -> Node:
        if self.at("end"):
            raise _diag.error(_diag.SYNTAX, "empty expression", self.tok.span, self.where,
                              "write a condition such as cost > 25000")
        node = self.expression()
        if not self.at("end"):
            hint = None
            if self.at("op", "(") or self.at("name") or self.at("number") or self.at("string"):
                hint = "an operator (such as and, or, ==, +) is missing between the two parts"
            raise self.unexpected("an operator or the end of the expression", hint)
        return node

    def expression(self) -> Node:
        self.enter(self.tok.span)
        body = self.disjunction()
        if self.at("keyword", "if"):
            span = self.advance().span
            test = self.disjunction()
            self.expect("keyword", "else", "'else' (conditional expressions are 'a if condition else b')")
            body = Conditional(test, body, self.expression(), span)
        self.depth -= 1
        return body

    def disjunction(self) -> Node:
        return self._boolop("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._boolop("and", self.negation)

    def _boolop(self, op: str, parse_operand: Callable[[], Node]) -> Node:
        first = parse_operand()
        if not self.at("keyword", op):
            return first
        values, span = [first], self.tok.span
        while self.at("keyword", op):
            self.advance()
            values.append(parse_operand())
        return BoolOp(op, tuple(values), span)

    def negation(self) -> Node:
        if self.at("keyword", "not"):
            span = self.advance().span
            self.enter(span)
            operand = self.negation()
            self.depth -= 1
            return Not(operand, span)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.arith(1)
        if self.at("keyword", "in") or (self.at("keyword", "not") and self._next_is_in()):
            span = self.tok.span
            negated = self.advance().text == "not"
            if negated:
                self.advance()
            node: Node = In(left, self.arith(1), negated, span)
            if self._at_comparison():
                raise self.unexpected("the end of the comparison",
                                      "membership tests do not chain; add parentheses")
            return node
        operands, ops = [left], []
        while self.at("op") and self.tok.text in _COMPARE:
            ops.append(self.advance())
            operands.append(self.arith(1))
        if self.at("keyword", "in") or (self.at("keyword", "not") and self._next_is_in()):
            if ops:
                raise self.unexpected("the end of the comparison", "add parentheses around the comparison")
        if not ops:
            return left
        tests = [Binary(tok.text, operands[i], operands[i + 1], tok.span) for i, tok in enumerate(ops)]
        return tests[0] if len(tests) == 1 else BoolOp("and", tuple(tests), ops[0].span)

    def _next_is_in(self) -> bool:
        nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        return nxt is not None and nxt.kind == "keyword" and nxt.text == "in"

    def _at_comparison(self) -> bool:
        return (self.at("op") and self.tok.text in _COMPARE) or self.at("keyword", "in") or (
            self.at("keyword", "not") and self._next_is_in())

    def arith(self, min_precedence: int) -> Node:
        left = self.unary()
        while self.at("op") and _ARITH_PRECEDENCE.get(self.tok.text, 0) >= min_precedence:
            tok = self.advance()
            right = self.arith(_ARITH_PRECEDENCE[tok.text] + 1)
            left = Binary(tok.text, left, right, tok.span)
        return left

    def unary(self) -> Node:
        if self.at("op", "-") or self.at("op", "+"):
            tok = self.advance()
            self.enter(tok.span)
            operand = self.unary()
            self.depth -= 1
            if tok.text == "-" and isinstance(operand, Literal) and type(operand.value) is Decimal:
                # Fold so "x > -1" compares with a constant (a faster compiled closure).
                return Literal(-operand.value, tok.span)
            return Unary(tok.text, operand, tok.span)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at("op", "**"):
            tok = self.advance()
            self.enter(tok.span)
            exponent = self.unary()
            self.depth -= 1
            return Binary("**", base, exponent, tok.span)
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.at("op", "."):
                self.advance()
                if not (self.at("name") or self.at("keyword")):
                    raise self.unexpected("a field name after '.'")
                name_tok = self.advance()
                if name_tok.kind == "keyword":
                    raise _diag.error(_diag.SYNTAX, f"'{name_tok.text}' is a keyword, not a field name",
                                      name_tok.span, self.where, f"write [\"{name_tok.text}\"] instead")
                node = Attribute(node, name_tok.text, name_tok.span)
            elif self.at("op", "["):
                span = self.advance().span
                index = self.expression()
                self.expect("op", "]", "']'")
                node = Index(node, index, span)
            elif self.at("op", "("):
                hint = f"call it as {node.attr}(...)" if isinstance(node, Attribute) else None
                raise _diag.error(_diag.SYNTAX, "only functions can be called, by name", self.tok.span,
                                  self.where, hint or "write name(args)")
            else:
                return node

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Literal(Decimal(tok.text), tok.span)
        if tok.kind == "string":
            self.advance()
            return Literal(tok.text, tok.span)
        if tok.kind == "keyword" and tok.text in _LITERALS:
            self.advance()
            return Literal(_LITERALS[tok.text], tok.span)
        if tok.kind == "name":
            self.advance()
            if self.at("op", "("):
                self.advance()
                args = self.sequence(")", "a function argument")
                if len(args) > _diag.MAX_ARGS:
                    raise _diag.error(_diag.LIMIT, f"{len(args)} arguments, the limit is {_diag.MAX_ARGS}",
                                      tok.span, self.where)
                return Call(tok.text, args, tok.span)
            return Name(tok.text, tok.span)
        if self.at("op", "("):
            self.advance()
            node = self.expression()
            self.expect("op", ")", "')'")
            return node
        if self.at("op", "["):
            self.advance()
            items = self.sequence("]", "a list item")
            if len(items) > _diag.MAX_LIST_ITEMS:
                raise _diag.error(_diag.LIMIT, f"list literal has {len(items)} items, the limit is "
                                  f"{_diag.MAX_LIST_ITEMS}", tok.span, self.where)
            return ListLit(items, tok.span)
        raise self.unexpected("a value (number, string, name, '(' or '[')")

    def sequence(self, close: str, what: str) -> tuple[Node, ...]:
        items: list[Node] = []
        while not self.at("op", close):
            items.append(self.expression())
            if len(items) > max(_diag.MAX_LIST_ITEMS, _diag.MAX_ARGS):
                break  # reported by the caller with the limit
            if self.at("op", ","):
                self.advance()
            elif not self.at("op", close):
                raise self.unexpected(f"',' or '{close}'")
        if self.at("op", close):
            self.advance()
        elif len(items) <= max(_diag.MAX_LIST_ITEMS, _diag.MAX_ARGS):
            raise self.unexpected(what)
        return tuple(items)


def _describe(tok: Token) -> str:
    if tok.kind == "string":
        return f"string {tok.text!r}"
    if tok.kind == "number":
        return f"number {tok.text}"
    if tok.kind == "name":
        return f"name '{tok.text}'"
    return f"'{tok.text}'"
