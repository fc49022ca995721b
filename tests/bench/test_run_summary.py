"""benchmarks/run.py reads the ledger and replay tables back into its target summary (row 3)."""

from __future__ import annotations

LEDGER = """\
| operation | records | records/s | peak RSS (MB) |
|---|---:|---:|---:|
| entry_for_decision (Decision -> entry) | 1,000 | 17,432 |  |
| append, batches of 1,000, synchronous=FULL | 100,000 | 27,531 | 49 |
| (file size 393 MB, payload 3710 B/record) | 100,000 |  |  |
| append, batches of 10,000, synchronous=FULL | 100,000 | 28,129 | 245 |
| append, batches of 1,000, synchronous=FULL | 1,000,000 | 17,686 | 49 |
| append, batches of 1,000, synchronous=FULL, new initiative ids in every batch | 1,000,000 | 26,240 | 49 |
"""

REPLAY = """\
| operation | records | records/s | peak RSS (MB) |
|---|---:|---:|---:|
| replay --mode live (verify + re-evaluate + compare) | 100,000 | 950 | 103 |
| replay --mode live (verify + re-evaluate + compare) | 1,000,000 | 1,760 | 104 |
"""


def test_table_rows_reads_numbers_and_blanks(bench_run):
    rows = bench_run.table_rows(LEDGER)["rows"]
    assert len(rows) == 6
    assert rows[1] == {"label": "append, batches of 1,000, synchronous=FULL", "records": 100_000,
                       "rate": 27531.0, "rss_mb": 49.0}
    assert rows[2]["rate"] is None and rows[2]["rss_mb"] is None


def test_append_rows_judge_each_size_against_20000(bench_run):
    lines = bench_run._ledger_rows(bench_run.table_rows(LEDGER), None)
    assert len(lines) == 3  # batches of 1,000 only: the 10,000 variant is not a summary row
    assert "100,000 records" in lines[0] and "27,531 records/s" in lines[0] and lines[0].endswith("| yes |")
    assert "the same 1,000 ids" in lines[1] and lines[1].endswith("| **no** |")
    assert "new ids in every batch" in lines[2] and lines[2].endswith("| yes |")


def test_replay_is_constant_memory_only_when_measured_at_two_sizes(bench_run):
    line, live = bench_run._ledger_rows(None, bench_run.table_rows(REPLAY))
    assert "1,000,000-record ledger" in line and "peak RSS 104 MB (103 MB at 100,000 records)" in line
    assert line.endswith("| yes |")
    one_size = bench_run.table_rows(REPLAY.splitlines()[0] + "\n" + REPLAY.splitlines()[3])
    alone, _ = bench_run._ledger_rows(None, one_size)
    assert "one size measured" in alone and alone.endswith("| **no** |")
    grew = bench_run.table_rows(REPLAY.replace("| 104 |", "| 300 |"))
    assert bench_run._ledger_rows(None, grew)[0].endswith("| **no** |")


def test_replay_rates_are_judged_against_5000_live_and_20000_hermetic(bench_run):
    # Issue #17 target 5, at the largest size measured of each mode.
    _, live = bench_run._ledger_rows(None, bench_run.table_rows(REPLAY))
    assert live == "| #17.5 replay --mode live >= 5,000 decisions/s (1,000,000 records) | 1,760/s, peak RSS 104 MB | **no** |"
    both = REPLAY + ("| replay --mode live (verify + re-evaluate + compare) | 2,000,000 | 5,000 | 104 |\n"
                     "| replay --mode hermetic (verify + re-evaluate + compare) | 1,000,000 | 19,999 | 99 |\n")
    rows = bench_run._ledger_rows(None, bench_run.table_rows(both))[1:]
    assert [r.rsplit("|", 2)[1].strip() for r in rows] == ["yes", "**no**"]
    assert "(2,000,000 records) | 5,000/s" in rows[0] and "hermetic >= 20,000 decisions/s" in rows[1]


def test_nothing_measured_says_so(bench_run):
    assert bench_run._ledger_rows(None, None) == [
        "| 3. ledger: 1M-record replay in constant memory, append >= 20,000/s | not run "
        "(`--only ledger replay`) | - |"]


def test_quick_summary_says_its_sizes_are_not_the_targets(bench_run):
    assert bench_run.summary_note(False) == ""
    note = bench_run.summary_note(True)
    assert note.startswith("Quick sizes (`--quick`)") and "make bench BENCH_ARGS=" in note and note.endswith("\n\n")
