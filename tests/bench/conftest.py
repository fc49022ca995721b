"""Benchmark scripts are not a package: these fixtures load them by path, under private module names."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(filename: str) -> Iterator[ModuleType]:
    name = f"{Path(filename).stem}_under_test"
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """benchmarks/bench_evaluate.py"""
    yield from _load("bench_evaluate.py")


@pytest.fixture(scope="module")
def bench_run() -> Iterator[ModuleType]:
    """benchmarks/run.py"""
    yield from _load("run.py")


@pytest.fixture(scope="module")
def stress_mutation() -> Iterator[ModuleType]:
    """benchmarks/stress_mutation.py"""
    yield from _load("stress_mutation.py")
