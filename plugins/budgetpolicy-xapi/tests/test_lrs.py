"""The LRS connector against a real LRS (ralph, started once per session on 127.0.0.1) and, for the
answers a healthy LRS never gives, against a scripted HTTP server. Statements are tincan's; the
expected numbers are xapi_cohort.count's plain count, never the plugin's."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal as D
from pathlib import Path

import pytest
from xapi_cohort import MAPPING, count
from xapi_lrs_support import KEY, SECRET, free_port

from budgetpolicy import cli
from budgetpolicy.errors import DataError
from budgetpolicy.plugins import PINNED_ENV
from budgetpolicy_xapi import lrs_source
from budgetpolicy_xapi.lrs import fetch_statements, load_config

ROOT = Path(__file__).resolve().parents[3]
POLICY, INITIATIVES = ROOT / "policies" / "acme-2026.toml", ROOT / "policies" / "acme-2026.initiatives.csv"
ENV = {"BP_TEST_LRS_KEY": KEY, "BP_TEST_LRS_SECRET": SECRET}


def config(tmp_path, endpoint, extra="", mapping=MAPPING):
    path = tmp_path / "lrs.toml"
    path.write_text(f'endpoint = "{endpoint}"\nkey_env = "BP_TEST_LRS_KEY"\nsecret_env = "BP_TEST_LRS_SECRET"\n'
                    f"retry_wait = 0\n{extra}\n{mapping}")
    return path


def review(tmp_path, cfg, *extra):
    env = {**{k: v for k, v in os.environ.items() if k != PINNED_ENV}, **ENV}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", "review", "--policy", str(POLICY), "--initiatives",
                           str(INITIATIVES), "--outcomes", f"lrs:{cfg}", "--period", "2026-Q2", "--format", "json",
                           "--ledger", str(tmp_path / "ledger.db"), "--evaluated-at", "2026-07-02T09:00:00+00:00",
                           *extra], capture_output=True, text=True, env=env, timeout=120)


def records(cfg):
    return {(r["initiative_id"], r["period"]): r for _, r in lrs_source(str(cfg), "outcomes")}


@pytest.fixture()
def creds(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def test_review_reads_every_page_from_ralph_and_records_the_quarter(ralph, tmp_path, creds):
    cfg = config(tmp_path, ralph.url, "limit = 25")
    done = review(tmp_path, cfg)
    assert done.returncode == 0, done.stderr
    pages = -(-len(ralph.docs) // 25)
    assert f"lrs: {ralph.url}statements: {pages + (len(ralph.docs) % 25 == 0)} page(s), {len(ralph.docs)} unique " \
           f"statements, 0 repeated id(s) dropped" in done.stderr
    assert "ledger: appended" in done.stderr
    assert records(cfg) == count(ralph.docs)["records"]


def test_per_course_totals_from_the_lrs(ralph, tmp_path, creds, monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "xapi")  # the core suite pins plugins out; the command is the plugin's
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["-p", "xapi", "xapi-report", f"lrs:{config(tmp_path, ralph.url, 'limit = 40')}",
                         "--format", "json"])
    assert code == 0, err.getvalue()
    got = {(c["initiative_id"], c["course"], c["period"]):
           {k: D(v) if isinstance(v, str) else v for k, v in c.items() if k not in ("initiative_id", "course", "period")}
           for c in json.loads(out.getvalue())["courses"]}
    assert got == count(ralph.docs)["courses"]


def test_since_and_until_go_to_the_lrs(ralph, tmp_path, creds):
    # ralph filters since/until on the statements' timestamp (the spec says stored, which here is the
    # moment of the bulk load): either way the connector must pass the window and read what comes back.
    cfg = config(tmp_path, ralph.url, 'since = "2026-04-01T00:00:00Z"\nuntil = "2026-07-01T00:00:00Z"\nlimit = 30')
    expected = count([d for d in ralph.docs if "2026-04-01" < d["timestamp"] < "2026-07-01"])["records"]
    got = records(cfg)
    assert got == expected and {p for _, p in got} == {"2026-Q2"}


def test_credentials_from_a_file(ralph, tmp_path, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "creds").write_text(f"{KEY}:{SECRET}\n")
    cfg = tmp_path / "lrs.toml"
    cfg.write_text(f'endpoint = "{ralph.url}"\ncredentials_file = "creds"\n{MAPPING}')
    assert records(cfg) == count(ralph.docs)["records"]
    (tmp_path / "creds").write_text(f"{KEY}:wrong\n")
    with pytest.raises(DataError, match=r"refused the credentials \(HTTP 401\)"):
        records(cfg)


def one_error(done, code):
    errors = [line for line in done.stderr.splitlines() if " error: " in line]
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert len(errors) == 1 and f"{code} error" in errors[0], done.stderr
    return errors[0]


def test_a_wrong_secret_is_one_line_and_nothing_recorded(ralph, tmp_path):
    cfg = config(tmp_path, ralph.url)
    env_secret = ENV["BP_TEST_LRS_SECRET"]
    ENV["BP_TEST_LRS_SECRET"] = "wrong"
    try:
        line = one_error(review(tmp_path, cfg), "BP495")
    finally:
        ENV["BP_TEST_LRS_SECRET"] = env_secret
    assert f"{ralph.url}statements: BP495 error: the LRS refused the credentials (HTTP 401)" in line
    assert not (tmp_path / "ledger.db").exists()


def test_an_unreachable_lrs_is_retried_then_one_line(tmp_path):
    line = one_error(review(tmp_path, config(tmp_path, f"http://127.0.0.1:{free_port()}/xAPI/", "retries = 2")),
                     "BP495")
    assert "the LRS is unreachable" in line and "(after 3 attempts)" in line
    assert not (tmp_path / "ledger.db").exists()


@pytest.mark.parametrize("extra, message", [
    ('key = "k"', "'key' must not be written in the configuration"),
    ("retries = -1", "retries must be a whole number >= 0"),
    ('since = "yesterday"', "since must be an ISO 8601 time with a zone"),
    ("colour = 1", "unknown key 'colour'"),
])
def test_bad_configuration_is_located(tmp_path, creds, extra, message):
    cfg = config(tmp_path, "http://127.0.0.1:9/xAPI/", extra)
    with pytest.raises(DataError) as info:
        load_config(str(cfg))
    (d,) = info.value.diagnostics
    assert (d.code, d.location.file, d.location.line) == ("BP498", str(cfg), 5)
    assert message in d.message


def test_missing_credentials_name_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("BP_TEST_LRS_SECRET", raising=False)
    monkeypatch.setenv("BP_TEST_LRS_KEY", KEY)
    with pytest.raises(DataError, match=r"\$BP_TEST_LRS_SECRET is empty"):
        load_config(str(config(tmp_path, "http://127.0.0.1:9/xAPI/")))


# -- answers no healthy LRS gives: a scripted server ---------------------------------------------

def statement(n, stored="2026-03-01T00:00:00+00:00"):
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "actor": {"mbox": f"mailto:p{n}@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms.example.org/courses/sales-101"},
            "timestamp": "2026-02-01T10:00:00Z", "stored": stored}


def test_paging_through_empty_pages_repeated_ids_and_consistent_through(scripted, tmp_path, creds):
    through = {"X-Experience-API-Consistent-Through": "2026-03-15T00:00:00+00:00"}
    scripted.answer("/xAPI/statements", (200, through, {"statements": [statement(1), statement(2)],
                                                        "more": "/xAPI/statements?page=2"}))
    scripted.answer("/xAPI/statements?page=2", (200, through, {"statements": [], "more": "/xAPI/statements?page=3"}))
    scripted.answer("/xAPI/statements?page=3", (200, through, {
        "statements": [statement(2), statement(3), statement(4, stored="2026-03-20T00:00:00+00:00")], "more": ""}))
    cfg = config(tmp_path, scripted.url)
    fetched = fetch_statements(load_config(str(cfg)))
    assert [s["id"][-1] for s in fetched.statements] == ["1", "2", "3"]
    assert (fetched.pages, fetched.duplicates, fetched.after_consistent) == (3, 1, 1)
    for _, sent in scripted.requests:
        headers = {k.lower(): v for k, v in sent.items()}  # HTTP header names are case-insensitive
        assert headers["x-experience-api-version"] == "1.0.3"
        assert headers["authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert records(cfg) == {("INI-001", "2026-Q1"): {"initiative_id": "INI-001", "period": "2026-Q1",
                                                     "completion_rate": D("1.0000"), "participants": 3}}


def test_a_5xx_is_retried(scripted, tmp_path, creds):
    scripted.answer("/xAPI/statements", (503, {}, b"busy"), (200, {}, {"statements": [statement(1)], "more": ""}))
    assert len(records(config(tmp_path, scripted.url))) == 1
    scripted.answer("/xAPI/statements", (500, {}, b"broken"))
    with pytest.raises(DataError, match=r"HTTP 500 .*broken \(after 3 attempts\)"):
        records(config(tmp_path, scripted.url, "retries = 2"))


@pytest.mark.parametrize("answer, code, message", [
    (b'{"statements": [', "BP496", "the LRS answered malformed JSON"),
    ({"statements": [], "more": "https://elsewhere.example/xAPI/statements?page=2"}, "BP497",
     "the LRS's 'more' link points to another host: https://elsewhere.example/xAPI/statements?page=2"),
    ({"statements": [], "more": "/xAPI/statements"}, "BP497", "repeats a page already read"),
    ({"items": []}, "BP496", "not a statements result"),
])
def test_bad_answers_are_one_line_and_nothing_recorded(scripted, tmp_path, answer, code, message):
    scripted.answer("/xAPI/statements", (200, {}, answer))
    line = one_error(review(tmp_path, config(tmp_path, scripted.url)), code)
    assert line.startswith(f"{scripted.url}statements") and message in line
    assert not (tmp_path / "ledger.db").exists()
