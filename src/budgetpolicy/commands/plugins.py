"""List the plugins: built-ins and installed ones, their versions, hooks and what each registered.

Honours -p NAME / -p no:NAME and BUDGETPOLICY_PLUGINS like every command, and
also lists installed plugins that are switched off here, with why (blocked or
pinned out), and plugins that fail to import or register as broken, with their
error (the others still load), so a missing scorer or source is easy to trace.
Each installed plugin's registrations are listed with the description= they
were given (every plugin's, built-ins included, in --format json). --format json gives the
same information for scripts.

Exit status: 0 when every plugin that should load loaded, 1 when one is broken
(the listing is still printed in full), so a CI step or a container health check
can run `budgetpolicy plugins` to catch a plugin that no longer imports.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetpolicy.plugin_info import PluginInfo


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands._common import add_format_options

    add_format_options(parser)
    parser.add_argument("--builtins", action=argparse.BooleanOptionalAction, default=True,
                        help="include the built-in plugins (default: yes)")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.canonical import pretty_json
    from budgetpolicy.commands._common import emit, plugin_selection
    from budgetpolicy.output import records_csv, records_jsonl
    from budgetpolicy.plugin_info import describe_plugins, registry_and_broken

    enable, disable = plugin_selection(args)
    registry, broken = registry_and_broken(enable, disable)  # a broken plugin is listed, not fatal, here
    infos = [i for i in describe_plugins(registry, broken) if args.builtins or not i.builtin]
    if args.format == "json":
        emit(args, pretty_json([i.to_dict() for i in infos]))
    elif args.format == "jsonl":
        emit(args, records_jsonl(i.to_dict() for i in infos))
    elif args.format == "csv":
        emit(args, records_csv(PLUGIN_COLUMNS, [_flat(i) for i in infos]))
    else:
        emit(args, render_table(infos))
    # Like `pip check`: the listing is the output, the status says whether anything is broken.
    return 1 if any(i.status == "broken" for i in infos) else 0


PLUGIN_COLUMNS = ("name", "builtin", "distribution", "version", "status", "module", "hooks", "registered")


def _flat(info: PluginInfo) -> dict[str, object]:
    """A plugin as one CSV row: hooks joined by ';', what it registered as 'kind: a, b; kind: c'."""
    return {**info.to_dict(), "hooks": ";".join(info.hooks),
            "registered": "; ".join(f"{kind}: {', '.join(names)}" for kind, names in info.registered)}


def render_table(infos: Sequence[PluginInfo]) -> str:
    from budgetpolicy.output import table

    rows = []
    for info in infos:
        registered = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in info.registered)
        name = info.name + (" (built-in)" if info.builtin else "")
        rows.append([name, info.distribution, info.version, info.status, ", ".join(info.hooks) or "-",
                     registered or "-"])
    loaded = sum(1 for i in infos if i.status == "loaded")
    text = table(["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "HOOKS", "REGISTERED"], rows)
    # What each installed plugin's registrations do, as their description= says (the built-ins' long
    # list is in --format json and docs/expressions.md).
    described = "".join(f"{info.name} {kind[:-1]} {name}: {text}\n" for info in infos if not info.builtin
                        for kind, name, text in info.descriptions)
    errors = "".join(f"{info.name} is broken: {info.error}\n" for info in infos if info.error)
    broken = sum(1 for i in infos if i.status == "broken")
    summary = f"{loaded} plugin(s) loaded, {len(infos) - loaded} installed but not loaded" + \
        (f" ({broken} broken)" if broken else "") + "\n"
    return text + "\n" + (described + "\n" if described else "") + errors + summary
