"""The arrows of DESIGN.md, checked by machine.

- import-linter's contracts (``[tool.importlinter]`` in pyproject.toml): layers
  only import downwards, codecs import nothing else of otm, protocols are
  independent of each other, the domain knows no bytes;
- codecs touch nothing of the world: no sockets, files, clocks, randomness,
  logging or threads may be imported under ``otm/protocols``.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

import otm

SRC = Path(otm.__file__).resolve().parent
ROOT = SRC.parent.parent

BANNED_IN_CODECS = frozenset(
    {
        "socket",
        "asyncio",
        "selectors",
        "ssl",
        "time",
        "datetime",
        "random",
        "secrets",
        "logging",
        "threading",
        "multiprocessing",
        "subprocess",
        "os",
        "io",
        "pathlib",
        "shutil",
        "tempfile",
    }
)
"""Modules whose use would give a codec I/O, a clock or randomness."""


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def codec_files() -> list[Path]:
    return sorted((SRC / "protocols").rglob("*.py"))


@pytest.mark.parametrize("path", codec_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_codecs_do_no_io(path: Path) -> None:
    banned = imported_modules(path) & BANNED_IN_CODECS
    assert not banned, f"{path.name} imports {sorted(banned)}"


def test_codecs_use_no_third_party_packages() -> None:
    allowed = {
        "otm",
        "__future__",
        "struct",
        "dataclasses",
        "enum",
        "typing",
        "collections",
        "types",
        "functools",
        "itertools",
        "math",
        "re",
        "binascii",
        "codecs",
        "string",
        "abc",
        "operator",
        "ipaddress",
    }
    for path in codec_files():
        extra = imported_modules(path) - allowed
        assert not extra, f"{path.relative_to(SRC)} imports {sorted(extra)}"


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(__import__("sys").executable).parent))
    assert lint is not None, "import-linter is not installed (pip install -e '.[dev]')"
    proc = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" in proc.stdout and "0 broken" in proc.stdout
