"""Reading the CLI's plain-text tables back in tests: shared by the test packages (tests/ is on the path
through its conftest.py)."""

from __future__ import annotations


def cell(lines, first, header):
    """The text of column ``header`` in the table row starting with ``first``, its wrapped lines joined
    (tables wrap long cells to the width, under the header's start)."""
    head = next(i for i, line in enumerate(lines) if header in line.split() and i + 1 < len(lines)
                and lines[i + 1].startswith("-"))
    start = lines[head].index(header)
    stops = [k for k in range(start + 1, len(lines[head + 1])) if lines[head + 1][k - 1] == " " and
             lines[head + 1][k] == "-"]
    stop = stops[0] if stops else None
    at = next(i for i, line in enumerate(lines) if line.startswith(first))
    parts = [lines[at][start:stop].strip()]
    for line in lines[at + 1:]:
        if not line.startswith(" ") or not line.strip():
            break
        parts.append(line[start:stop].strip())
    return " ".join(p for p in parts if p)
