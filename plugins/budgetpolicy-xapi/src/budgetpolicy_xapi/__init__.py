"""budgetpolicy plugin: outcomes from xAPI statements, from an export file or read live from an LRS.

Registers two data sources through the ``register_data_sources`` hook, and the
``xapi-report`` command (per-course totals) through ``register_commands``::

    budgetpolicy review --outcomes 'xapi:lrs-export.json?mapping=acme.xapi.toml' ...
    budgetpolicy review --outcomes lrs:lrs.toml ...
    budgetpolicy xapi-report 'xapi:lrs-export.json?mapping=acme.xapi.toml'

Statements map to initiatives through a mapping of activity ids
(:mod:`budgetpolicy_xapi.mapping`); each initiative's statements become one
outcome record per quarter (:mod:`budgetpolicy_xapi.outcomes` has the rules);
the core then validates and converts every record like any other source's.
:mod:`budgetpolicy_xapi.lrs` is the LRS connector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from budgetpolicy import hookimpl
from budgetpolicy.errors import DataError, Location
from budgetpolicy_xapi.export import parse_target, read_statements
from budgetpolicy_xapi.lrs import fetch_statements, load_config
from budgetpolicy_xapi.mapping import ActivityMapping, load_mapping
from budgetpolicy_xapi.notes import checked_records
from budgetpolicy_xapi.outcomes import ASSESSMENT_EXT, INITIATIVE_EXT, Aggregate, Totals, aggregate, quarter

__all__ = ["ASSESSMENT_EXT", "INITIATIVE_EXT", "ActivityMapping", "Aggregate", "Totals", "aggregate",
           "load_mapping", "lrs_source", "quarter", "read_source", "read_statements", "register_commands",
           "register_data_sources", "xapi_source"]


@hookimpl
def register_data_sources(register: Callable[..., None]) -> None:
    # No file extension: an xAPI export is plain .json, which the built-in JSON
    # source owns; users pick this source explicitly with the ``xapi:`` prefix.
    register("xapi", xapi_source, extensions=(),
             description="outcomes (completion rate, pre/post assessment) per initiative and quarter "
                         "from an xAPI statements export (FILE?mapping=MAP.toml&skip-invalid=1)")
    register("lrs", lrs_source, extensions=(),
             description="the same outcomes read live from a learning record store's statements API "
                         "(lrs:CONFIG.toml)")


@hookimpl
def register_commands(subparsers: Any) -> None:
    from budgetpolicy_xapi.command import configure

    configure(subparsers)


def _outcomes_only(kind: str, target: str, spec: str) -> None:
    if kind != "outcomes":
        raise DataError(f"the {spec.split(':')[0]} source reads outcomes, not {kind}", Location(file=target),
                        hint=f"use it as --outcomes {spec}; initiatives come from a CSV/JSON/TOML file",
                        code="BP491")


def read_source(spec: str, target: str) -> tuple[Aggregate, str, bool, list[str]]:
    """The statements behind ``xapi:``/``lrs:`` ``target`` aggregated, the file (or URL) they came from,
    whether unreadable statements are to be skipped, and what reading them saw (a line each); what
    the sources and ``xapi-report`` share."""
    if spec == "lrs":
        config = load_config(target)
        fetched = fetch_statements(config)
        url = config.statements_url
        seen = [f"lrs: {url}: {fetched.pages} page(s), {len(fetched.statements) + fetched.after_consistent} unique "
                f"statements, {fetched.duplicates} repeated id(s) dropped"]
        if fetched.consistent_through is not None:
            seen.append(f"lrs: {url}: {fetched.after_consistent} statement(s) stored after the LRS's "
                        f"consistent-through time {fetched.consistent_through} left out (a later run reads them)")
        return aggregate(fetched.statements, url, config.mapping), url, config.skip_invalid, seen
    options = parse_target(target)
    result = aggregate(read_statements(options.path), options.path, options.mapping)
    return result, options.path, options.skip_invalid, []


def xapi_source(target: str, kind: str) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Outcome records from the statements in the export ``target``; ``kind`` must be ``"outcomes"``."""
    _outcomes_only(kind, target, "xapi:FILE")
    result, file, skip, seen = read_source("xapi", target)
    return iter(checked_records(result, file, skip_invalid=skip, option="?skip-invalid=1 after the file name",
                                seen=seen))


def lrs_source(target: str, kind: str) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Outcome records from the statements an LRS holds; ``target`` is the configuration file."""
    _outcomes_only(kind, target, "lrs:CONFIG.toml")
    result, url, skip, seen = read_source("lrs", target)
    return iter(checked_records(result, url, skip_invalid=skip, option="skip_invalid = true in " + target,
                                seen=seen))
