"""Where the plugin machinery sits: the core takes a registry it is handed and never reaches the manager.

The core stages (values, expressions, scoring and approval, allocation, review) and the registry
itself must not import :mod:`budgetpolicy.plugins`, directly or through another module, and the
expression language must not import the built-in plugins: they reach it through the registry like
any plugin. Checked on the real import graph (grimp, which import-linter uses), lazy imports included.
"""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp")

CORE = ("budgetpolicy.model", "budgetpolicy.expr", "budgetpolicy.engine", "budgetpolicy.allocation",
        "budgetpolicy.review", "budgetpolicy.registry", "budgetpolicy.hookspecs", "budgetpolicy.version")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("budgetpolicy")


@pytest.mark.parametrize("core", CORE)
def test_the_core_never_reaches_the_plugin_manager(graph, core):
    assert graph.find_shortest_chain(importer=core, imported="budgetpolicy.plugins", as_packages=True) is None


@pytest.mark.parametrize("core", CORE)
def test_the_core_never_reaches_the_builtin_plugins(graph, core):
    assert graph.find_shortest_chain(importer=core, imported="budgetpolicy.builtins", as_packages=True) is None


@pytest.mark.parametrize("name, package", [("budgetpolicy.plugins", False), ("budgetpolicy.registry", False),
                                           ("budgetpolicy.builtins", True)])
def test_no_import_cycle_through_the_plugin_machinery(graph, name, package):
    imports = graph.find_upstream_modules(name, as_package=package)
    imported_by = graph.find_downstream_modules(name, as_package=package)
    assert imports & imported_by == set()
