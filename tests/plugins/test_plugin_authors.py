"""A third-party plugin written from the docs alone: what its author meets, through the CLI.

A function that raises is named with its plugin, hook, rule and initiative; the documented ``date``
attribute type works; a plugin that fails to import is listed as broken by ``budgetpolicy plugins``
(the others still load) and stops other commands with one line naming it and ``-p no:NAME``; the
``description=`` given at registration is shown."""

from __future__ import annotations

import json

from plugin_fakes import FAILS_TO_IMPORT, POLICY_USING_FIXED, RAISES_IN_HOOK, SCORER_PLUGIN

FUNCTION_RAISES = SCORER_PLUGIN.replace('''def double(x):
    return x * 2''', '''def double(x):
    raise LookupError("rate table missing")''')
ROWS = ("id,title,kind,department,cost,priorities,forecast.a,probability,evaluation_plan,attr.due\n"
        "I-1,t,training,D,100,a,1,0.5,kpi_tracking,2026-05-01\n"
        "I-2,t,training,D,100,a,1,0.5,kpi_tracking,2026-08-01\n")
# The documented date attribute: declared, read as ISO text, compared with a date written as text.
DATED_POLICY = POLICY_USING_FIXED.replace('plugins = ["kpiextra"]\n', 'plugins = ["kpiextra"]\n\n[attributes]\n'
                                          'due = "date"\n').replace(
    'condition = "true"', 'condition = "attributes.due > \\"2026-06-30\\""')


# The rows' attr.due must be declared (undeclared columns are refused, #18); at the end, so lines stay put.
DECLARED_POLICY = POLICY_USING_FIXED + '\n[attributes]\ndue = "date"\n'


def _files(tmp_path, policy=DECLARED_POLICY):
    (tmp_path / "policy.toml").write_text(policy)
    (tmp_path / "rows.csv").write_text(ROWS)
    return str(tmp_path / "policy.toml"), str(tmp_path / "rows.csv")


def test_a_function_that_raises_names_plugin_hook_rule_initiative_and_line(site, tmp_path):
    site.install("kpiextra", FUNCTION_RAISES)
    policy, rows = _files(tmp_path)
    result = site.cli("evaluate", "-P", policy, "-i", rows, pinned="kpiextra")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"{policy}:30:1: approval.rules[0].condition: BP350 error: rule 'doubled': double() (plugin 'kpiextra', "
        "hook register_functions) failed: rate table missing on initiative 'I-1' (double(number) -> number)")
    assert result.stdout == ""


def test_the_documented_date_attribute_type_works(site, tmp_path):
    site.install("kpiextra", SCORER_PLUGIN)
    policy, rows = _files(tmp_path, DATED_POLICY)
    validated = site.cli("validate", policy, pinned="kpiextra")
    assert validated.returncode == 0, validated.stderr
    assert "<input>" not in validated.stdout + validated.stderr
    result = site.cli("evaluate", "-P", policy, "-i", rows, "-f", "json", pinned="kpiextra")
    assert result.returncode == 0, result.stderr
    outcomes = {d["initiative_id"]: d["outcome"] for d in json.loads(result.stdout)["decisions"]}
    assert outcomes == {"I-1": "approved", "I-2": "rejected"}  # due 2026-08-01 is after 2026-06-30


def test_a_bad_date_in_the_data_names_row_and_column(site, tmp_path):
    site.install("kpiextra", SCORER_PLUGIN)
    policy, rows = _files(tmp_path, DATED_POLICY)
    (tmp_path / "rows.csv").write_text(ROWS.replace("2026-08-01", "2026-13-01"))
    result = site.cli("evaluate", "-P", policy, "-i", rows, pinned="kpiextra")
    assert result.returncode == 2
    # The column as the file names it: evaluate types attributes as it reads the rows (issue 17).
    assert "rows.csv: row 3: field 'attr.due'" in result.stderr and "BP415" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_plugins_lists_a_plugin_that_fails_to_import_as_broken(site):
    site.install("kpiextra", SCORER_PLUGIN, version="3.1.4")
    site.install("broken", FAILS_TO_IMPORT, version="0.9")
    table = site.cli("plugins", pinned="kpiextra,broken")
    # Listed in full, and the status says something is broken (like `pip check`), for CI and health checks.
    assert table.returncode == 1, table.stderr
    lines = table.stdout.splitlines()
    row = next(line for line in lines if line.startswith("broken "))
    assert row.split()[:4] == ["broken", "bp-fake-broken", "0.9", "broken"]
    assert next(line for line in lines if line.startswith("kpiextra ")).split()[3] == "loaded"
    error = next(line for line in lines if line.startswith("broken is broken: "))
    assert "BP502 error: plugin 'broken' failed to import: ModuleNotFoundError" in error and "-p no:broken" in error
    assert lines[-1].startswith("5 plugin(s) loaded, ") and lines[-1].endswith(" installed but not loaded (1 broken)")
    as_json = site.cli("plugins", "-f", "json", pinned="kpiextra,broken")
    assert as_json.returncode == 1
    data = {p["name"]: p for p in json.loads(as_json.stdout)}
    assert data["broken"]["status"] == "broken" and "ModuleNotFoundError" in data["broken"]["error"]
    assert data["kpiextra"]["status"] == "loaded" and data["kpiextra"]["error"] is None


def test_other_commands_stop_with_one_line_naming_the_broken_plugin(site, tmp_path):
    site.install("kpiextra", SCORER_PLUGIN)
    site.install("broken", FAILS_TO_IMPORT)
    policy, rows = _files(tmp_path)
    result = site.cli("evaluate", "-P", policy, "-i", rows, pinned="kpiextra,broken")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "plugin 'broken' failed to import" in line and "run with -p no:broken" in line
    assert site.cli("-p", "no:broken", "evaluate", "-P", policy, "-i", rows, pinned="kpiextra,broken").returncode == 0


def test_plugins_lists_a_plugin_whose_registration_hook_raises_as_broken(site):
    site.install("boom", RAISES_IN_HOOK)
    result = site.cli("plugins", "-f", "json", pinned="boom")
    assert result.returncode == 1, result.stderr
    boom = {p["name"]: p for p in json.loads(result.stdout)}["boom"]
    assert boom["status"] == "broken"
    assert "BP505 error: plugin 'boom' hook register_scorers raised RuntimeError: licence server unreachable" \
        in boom["error"]


def test_plugins_shows_the_description_given_at_registration(site):
    site.install("kpiextra", SCORER_PLUGIN)
    table = site.cli("plugins", pinned="kpiextra")
    assert table.returncode == 0, table.stderr  # nothing broken
    assert "kpiextra function double: x * 2" in table.stdout.splitlines()
    assert "kpiextra scorer fixed: always the same value" in table.stdout.splitlines()
    data = {p["name"]: p for p in json.loads(site.cli("plugins", "-f", "json", pinned="kpiextra").stdout)}
    assert data["kpiextra"]["descriptions"] == {"functions": {"double": "x * 2"},
                                                "scorers": {"fixed": "always the same value"}}
    assert data["budgetpolicy.builtins.allocators"]["descriptions"]["allocators"]["greedy"]
