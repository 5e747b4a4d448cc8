"""Shared test fixtures: where the team's shared captures live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from db_fixtures import backend, postgres_database, store_url

__all__ = ["backend", "postgres_database", "store_url"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PCAPS = SHARED / "pcaps"
GROUNDTRUTH = PCAPS / "groundtruth"


@pytest.fixture(scope="session")
def pcaps() -> Path:
    """The folder of public captures (../shared/pcaps)."""
    if not PCAPS.is_dir():
        pytest.fail(f"shared captures missing at {PCAPS}")
    return PCAPS


@pytest.fixture(scope="session")
def tshark() -> str:
    """Path of tshark, the oracle; the test command installs it."""
    path = shutil.which("tshark")
    if path is None:
        pytest.fail("tshark is not installed (scripts/test.sh installs it)")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--regen-golden`` rewrites the golden observation files instead of diffing."""
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/data/*.jsonl from the current code",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files."""
    return bool(request.config.getoption("--regen-golden"))
