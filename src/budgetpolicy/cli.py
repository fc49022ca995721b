"""The ``budgetpolicy`` command line: a thin layer over the Python API.

Each sub-command lives in ``budgetpolicy.commands.<name>``; this module only
builds the parser, handles plugin selection (``-p``), and turns the package's
errors into one line each on stderr with a non-zero exit code.

Exit codes: 0 success; 1 the check found problems (invalid policy, failing
policy tests, ledger tampered, decisions changed under ``diff --fail-on-change``);
2 usage or input error; 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

# name -> (module, one-line help). Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("budgetpolicy.commands.validate", "check policy files: schema, semantics, expressions, plugins"),
    "evaluate": ("budgetpolicy.commands.evaluate", "run a funding cycle: score, approve, allocate"),
    "review": ("budgetpolicy.commands.review", "run a quarterly review: calibrate, reallocate, sunset"),
    "explain": ("budgetpolicy.commands.explain", "explain one initiative's decision: every score and rule"),
    "ledger": ("budgetpolicy.commands.ledger", "verify, export or show the hash-chained decision ledger; positions of its plan"),
    "approve": ("budgetpolicy.commands.approve", "sign off a pending decision of the ledger's plan, for a role"),
    "refuse": ("budgetpolicy.commands.refuse", "refuse a pending decision of the ledger's plan: its money returns"),
    "stretch": ("budgetpolicy.commands.stretch", "choose who takes each stretch assignment, within every capacity, and why"),
    "replay": ("budgetpolicy.commands.replay", "re-evaluate recorded decisions: reproduce exactly, or under another policy"),
    "diff": ("budgetpolicy.commands.diff", "impact of a policy change on initiatives: decisions, money moved, rule diff"),
    "plugins": ("budgetpolicy.commands.plugins", "list installed plugins: versions, hooks, what each registers"),
    "test": ("budgetpolicy.commands.test", "run the policy tests kept beside policies ([[tests]], NAME_test.toml)"),
    "fmt": ("budgetpolicy.commands.fmt", "format policy files canonically (comments kept); --check for CI"),
    "init": ("budgetpolicy.commands.init", "scaffold a policy repository: starter policy, tests, schemas, pre-commit"),
    "report": ("budgetpolicy.commands.report", "write the portfolio report: Markdown or a self-contained HTML dashboard"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's default prints usage + exits 2; keep it one line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked (importlib.metadata is slow to load)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from budgetpolicy.version import engine_version

        print(f"budgetpolicy {engine_version()}")  # on stdout, as --version is for scripts and `| head`
        parser.exit(0)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. With ``argv``, only the command it names is configured: importing every command
    module (and what they import) would cost ``--help`` and ``validate`` most of their start-up time."""
    parser = _Parser(prog="budgetpolicy", description="Rules-driven policy engine for development budgets.")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("-p", dest="plugin_opts", action="append", default=[], metavar="NAME",
                        help="load plugin NAME even when pinned out; -p no:NAME blocks it (repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = None if argv is None else _command_name(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        if argv is not None and name != wanted:
            sub.add_parser(name, help=help_text, description=help_text)
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip())
        module.configure(p)
        p.set_defaults(func=module.run)
    parser.set_defaults(_subparsers=sub)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names: its first positional argument (``-p NAME`` takes a value)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "-p":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from budgetpolicy.errors import BudgetPolicyError, UsageError

    argv = list(sys.argv[1:] if argv is None else argv)
    bad = _undecodable(argv)
    if bad is not None:
        print(bad, file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser(argv)
    try:
        _add_plugin_commands(parser, argv)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        _set_screen(args)
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except BudgetPolicyError as exc:
        print(str(exc), file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_USAGE)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in budgetpolicy or a plugin: one line, traceback on request
        import os

        if os.environ.get("BUDGETPOLICY_DEBUG"):
            raise
        print(f"budgetpolicy: internal error: {type(exc).__name__}: {exc} "
              "(this is a bug: rerun with BUDGETPOLICY_DEBUG=1 for the traceback and report it)", file=sys.stderr)
        return EXIT_INTERNAL


def _undecodable(argv: Sequence[str]) -> str | None:
    """The one-line error for the first argument that is not valid UTF-8, or None.

    Python hands undecodable bytes of an argument over as lone surrogates (U+DC80..U+DCFF); carried
    on, they crash whatever prints or hashes them. Refused here, before any command sees them."""
    for n, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            raw = ord(arg[exc.start])
            what = f"byte 0x{raw - 0xDC00:02X}" if 0xDC80 <= raw <= 0xDCFF else f"a lone surrogate U+{raw:04X}"
            return (f"budgetpolicy: argument {n} ({shown}): BP002 error: not valid UTF-8 ({what} at character "
                    f"{exc.start + 1}) (rename the file or retype the argument in UTF-8)")
    return None


def _set_screen(args: argparse.Namespace) -> None:
    """Draw the command's tables for where its output goes: the terminal (its width; colour unless
    NO_COLOR is set), or a pipe or ``--output`` file (COLUMNS or 100 characters wide, never colour)."""
    import os
    import shutil

    from budgetpolicy.output import screen_for, use_screen

    terminal = not getattr(args, "output", None) and sys.stdout.isatty()
    width = shutil.get_terminal_size((0, 0)).columns if terminal else None
    use_screen(screen_for(terminal=terminal, environ=os.environ, terminal_width=width or None))


def _add_plugin_commands(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Let plugins add sub-commands, but only scan entry points when a command is unknown."""
    first = _command_name(argv)
    if first is None or first in COMMANDS:
        return
    from budgetpolicy.plugins import get_plugin_manager

    pm = get_plugin_manager()
    pm.hook.register_commands(subparsers=parser.get_default("_subparsers"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
