"""What the Python tests share: the repository, Loom's tools, a seeded generator.

Run by ctest (test `python`) as `/usr/bin/python3 -m pytest tests/python` with
PYTHONPATH=build/python and LOOM_BUILD=build.
"""
import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def loom_tool():
    build = pathlib.Path(os.environ.get("LOOM_BUILD", ROOT / "build"))
    return str(build / "tools" / "loom" / "loom")


@pytest.fixture
def rng():
    return np.random.default_rng(7)
