"""docs/cli.md shows each command's --help as the command prints it (at 100 columns): a reference that
drifts from the tool (an option added, a usage line rewrapped) fails here, with the command named."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from budgetpolicy import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def usage_blocks() -> list[tuple[str, str]]:
    """(command words, the first code block under its heading when that block is a usage block)."""
    text = DOC.read_text(encoding="utf-8")
    blocks = []
    for heading in re.finditer(r"^##+ budgetpolicy([^\n]*)\n", text, flags=re.M):
        body = text[heading.end():]
        stop = re.search(r"^##+ ", body, flags=re.M)
        section = body[:stop.start()] if stop else body
        block = re.search(r"^```\n(.*?)^```\n", section, flags=re.M | re.S)
        if block and block.group(1).startswith("usage:"):
            blocks.append((heading.group(1).strip(), block.group(1)))
    return blocks


BLOCKS = usage_blocks()


def test_every_command_has_its_help_in_the_reference():
    assert len(BLOCKS) >= 20
    assert {"evaluate", "review", "report", "plugins", "ledger positions"} <= {words for words, _ in BLOCKS}


@pytest.mark.parametrize(("words", "documented"), BLOCKS, ids=[w or "budgetpolicy" for w, _ in BLOCKS])
def test_the_reference_shows_the_help_the_command_prints(monkeypatch, words, documented):
    monkeypatch.setenv("COLUMNS", "100")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as done:
        cli.main([*words.split(), "--help"])
    assert done.value.code == 0
    assert printed.getvalue() == documented, f"docs/cli.md: regenerate the help of 'budgetpolicy {words}'"
