"""The layering holds: import-linter contracts are kept, and they do catch violations.

Also checks at runtime what import-linter cannot see: importing the Celery app
and tasks (what a prefork parent does) must not import TensorFlow.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts() -> list[dict]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def _contract_names() -> list[str]:
    return [c["name"] for c in _contracts()]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    names = _contract_names()
    assert any("bot" in n.lower() and "ml stack" in n.lower() for n in names), names
    proc = _lint_imports(REPO_ROOT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for name in names:
        assert f"{name} KEPT" in out, f"contract {name!r} not reported kept:\n{out}"


def test_import_contracts_catch_a_violation(tmp_path: Path):
    """The same contracts, on a copy of the tree where the bot imports the models."""
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # Every internal module the contracts name must exist in the fake tree.
    internal = {"bot", "workers", "models", "workers.contracts"}
    for contract in _contracts():
        for key in ("source_modules", "forbidden_modules"):
            internal |= {m for m in contract.get(key, []) if m.split(".")[0] in ("bot", "workers", "models")}
        for container in contract.get("containers", []):  # a layers contract: each layer
            internal |= {f"{container}.{name.strip()}" for layer in contract["layers"]
                         for name in re.split(r"[|:]", layer)}
    for module in sorted(internal):
        path = tmp_path.joinpath(*module.split("."))
        path.mkdir(parents=True, exist_ok=True)
        (path / "__init__.py").write_text("")
    (tmp_path / "workers" / "contracts" / "__init__.py").write_text("import json\n")
    (tmp_path / "models" / "char_lstm.py").write_text("X = 1\n")
    client = tmp_path / "bot" / "client" / "__init__.py"
    client.write_text("from workers import contracts\nimport bot.store\n")
    clean = _lint_imports(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    client.write_text("from workers import contracts\nimport models.char_lstm\n")
    broken = _lint_imports(tmp_path)
    out = broken.stdout + broken.stderr
    assert broken.returncode != 0, out
    assert "BROKEN" in out and "bot.client -> models.char_lstm" in out, out

    # A lower layer of the bot reaching up to the client breaks the layers contract.
    client.write_text("from workers import contracts\n")
    (tmp_path / "bot" / "store" / "__init__.py").write_text("import bot.client\n")
    upward = _lint_imports(tmp_path)
    out = upward.stdout + upward.stderr
    assert upward.returncode != 0, out
    assert "BROKEN" in out and "bot.store -> bot.client" in out, out


@pytest.mark.parametrize("module", ["workers.app", "workers.tasks", "workers.contracts", "workers.embedded"])
def test_worker_parent_imports_no_tensorflow(module: str):
    code = (f"import sys, json, {module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'models', 'discord'))))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
