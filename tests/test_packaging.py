"""The locks agree with pyproject.toml, and the running environment is the locked one."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK = REPO_ROOT / "requirements" / "lock.txt"
GPU_IN = REPO_ROOT / "requirements" / "gpu.in"
GPU_LOCK = REPO_ROOT / "requirements" / "gpu.txt"

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if m := PIN.match(line):
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _direct_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate()]


def test_every_direct_dependency_is_pinned_within_its_range():
    pins = _pins(LOCK)
    for req in _direct_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in the lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}: run `make lock`")


def test_every_pin_has_hashes_and_no_machine_specific_source():
    text = LOCK.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    pinned = [b for b in blocks if PIN.match(b)]
    assert len(pinned) == len(_pins(LOCK)) > 50
    for block in pinned:
        assert "--hash=sha256:" in block, block.splitlines()[0]
    options = [line for line in text.splitlines() if line.startswith("-")]
    assert not options, f"machine-specific pip options in the lock: {options}"
    assert "file://" not in text


def test_the_gpu_lock_holds_every_shared_package_to_the_cpu_lock():
    cpu = _pins(LOCK)
    wanted = re.search(r"^tensorflow\[and-cuda\]==(\S+)", GPU_IN.read_text(), re.M)
    assert wanted and wanted.group(1) == cpu["tensorflow-cpu"]
    gpu = _pins(GPU_LOCK)
    assert gpu["tensorflow"] == cpu["tensorflow-cpu"]
    assert any(name.startswith("nvidia-") for name in gpu)
    shared = set(gpu) & set(cpu)
    assert {"keras", "numpy", "protobuf"} <= shared
    assert {n: gpu[n] for n in shared} == {n: cpu[n] for n in shared}


@pytest.mark.skipif(Path(sys.prefix).resolve() != (REPO_ROOT / ".venv").resolve(),
                    reason="checks the venv that `make test` builds")
def test_the_test_environment_is_the_locked_one():
    """`make test` installs from the lock: what runs the suite is what the lock says."""
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {name: (version, installed.get(name)) for name, version in _pins(LOCK).items()
             if installed.get(name) != version}
    assert not wrong, f"installed versions differ from the lock (locked, installed): {wrong}"
