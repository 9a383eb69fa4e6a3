"""The wheel alone: one top-level name, the suite's data inside, the suite and the demo run.

Builds the wheel from a copy of the source tree (no build isolation, so no download),
installs it with its base dependencies into a fresh virtualenv in a temporary directory,
and runs everything from a working directory outside the checkout, so nothing can come
from the checkout by accident. The tests share that virtualenv and run in file order:
the last one adds the ``node`` extra and runs the demo. About a minute, most of it pip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from bluezone.interop_tests.vectors import load_vectors

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DIST_INFO = f"{PROJECT['name'].replace('-', '_')}-{PROJECT['version']}.dist-info"
NOT_SOURCES = shutil.ignore_patterns(
    *(".git", ".ci", ".venv", "build", "dist", "site", "*.egg-info", "__pycache__"),
    *(".*_cache", ".hypothesis"),
)
EXTRA_PACKAGES = ("aiohttp", "bumble", "bleak", "dbus_fast", "asyncpg", "matplotlib")
NODE_VERDICTS = {"passed", "unsupported", "not_applicable"}


def run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd`` with no Python path or virtualenv inherited from this process."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (
        f"{result.args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def pip_install(python: Path, *requirements: str, cwd: Path) -> None:
    """Install into the virtualenv of ``python`` with this interpreter's pip (and its cache)."""
    ok(
        run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *requirements],
            cwd,
        )
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the tree so no stale ``build/`` of the checkout leaks in."""
    source = tmp_path_factory.mktemp("source") / "bluezone"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    out = tmp_path_factory.mktemp("dist")
    ok(
        run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(out), "."],
            source,
        )
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory outside the checkout."""
    cwd = tmp_path_factory.mktemp("cwd")
    assert not cwd.resolve().is_relative_to(ROOT)
    return cwd


@pytest.fixture(scope="module")
def venv(wheel: Path, outside: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel and its base dependencies; its ``bin`` folder."""
    home = tmp_path_factory.mktemp("venv")
    ok(run([sys.executable, "-m", "venv", "--without-pip", str(home)], outside))
    pip_install(home / "bin" / "python", str(wheel), cwd=outside)
    return home / "bin"


def test_the_wheel_installs_one_name_with_the_suites_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {name.split("/")[0] for name in names} == {"bluezone", DIST_INFO}
    assert not {name for name in names if "tests" in name.split("/")}
    assert not {name for name in names if name.startswith("bluezone/spec/tools/")}
    vectors = {
        f"bluezone/spec/{path.relative_to(ROOT / 'spec').as_posix()}"
        for path in (ROOT / "spec" / "vectors").rglob("*")
        if path.is_file()
    }
    assert vectors <= names
    assert any(name.endswith(".json") for name in vectors)
    assert "bluezone/interop_tests/examples/node/adapter.js" in names
    assert "bluezone/interop_tests/reference_adapter.py" in names


def test_the_library_comes_from_the_venv_and_imports_no_extra(venv: Path, outside: Path):
    script = (
        "import json, sys\n"
        "import bluezone.protocol, bluezone.protocol.risk, bluezone.interop_tests\n"
        "print(json.dumps([bluezone.protocol.__file__, sorted(sys.modules)]))\n"
    )
    where, modules = json.loads(ok(run([str(venv / "python"), "-c", script], outside)))
    assert Path(where).is_relative_to(venv.parent)
    assert not {name for name in modules if name.split(".")[0] in EXTRA_PACKAGES}


def test_without_the_node_extra_the_command_line_names_it(venv: Path, outside: Path):
    result = run([str(venv / "bluezone"), "demo"], outside)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "pip install" in line and "bluezone-protocol[node]" in line


def suite_report(argv: list[str], cwd: Path) -> dict:
    report = cwd / "report.json"
    report.unlink(missing_ok=True)
    ok(run([*argv, "--report", str(report)], cwd))
    return json.loads(report.read_text())


def check_every_vector_ran(report: dict) -> None:
    assert report["passed"] is True
    cases = load_vectors(ROOT / "spec" / "vectors")
    replayed = {(t["source"], t["tcId"]) for t in report["tests"] if t["kind"] == "vector"}
    assert replayed == {(case.source, case.tc_id) for case in cases}


@pytest.mark.parametrize(
    "suite", [["bluezone", "interop", "run"], ["python", "-m", "bluezone.interop_tests"]]
)
def test_the_suite_passes_the_reference_adapter(venv: Path, outside: Path, suite: list[str]):
    adapter = f'"{venv / "python"}" -m bluezone.interop_tests.reference_adapter'
    report = suite_report([str(venv / suite[0]), *suite[1:], "--adapter", adapter], outside)
    check_every_vector_ran(report)
    assert set(report["summary"]) == {"passed", "not_applicable"}


def test_the_suite_passes_the_installed_node_example(venv: Path, outside: Path):
    script = (
        "from pathlib import Path\nimport bluezone.interop_tests as suite\n"
        "print(Path(suite.__file__).parent / 'examples' / 'node' / 'adapter.js')\n"
    )
    example = Path(ok(run([str(venv / "python"), "-c", script], outside)).strip())
    assert example.is_file() and example.is_relative_to(venv.parent)
    command = [str(venv / "bluezone"), "interop", "run", "--adapter", f'node "{example}"']
    report = suite_report(command, outside)
    check_every_vector_ran(report)
    assert set(report["summary"]) <= NODE_VERDICTS


def test_the_demo_runs_with_the_node_extra(wheel: Path, venv: Path, outside: Path):
    """Last: adds the extra the README's first command names to the shared virtualenv."""
    pip_install(venv / "python", f"bluezone-protocol[node] @ {wheel.as_uri()}", cwd=outside)
    document = json.loads(ok(run([str(venv / "bluezone"), "demo", "--json"], outside)))
    assert document["verdicts"]["bob"]["exposed"] is True
    assert document["verdicts"]["carol"]["exposed"] is False
    assert {p["level"] for p in document["people"]} == {"F0", "F1", "F2", "none"}
    assert (outside / document["btsnoop"]["path"]).stat().st_size > 0
