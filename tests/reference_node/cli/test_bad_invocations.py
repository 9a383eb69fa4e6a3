"""Every mistake a person can make on the command line ends in one line and a documented status.

The table holds every case of the new-user trial (HIGH 1 and 4, MEDIUM 5 and 8, LOW 10 and 11)
and more; each runs through ``main(argv)`` with stderr captured. Ctrl-C, a port in use and a
missing extra run as real processes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bluezone.protocol.note import NoteSigner
from bluezone.reference_node.cli import main
from bluezone.reference_node.cli.commands import build_parser
from bluezone.reference_node.cli.failures import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
)
from bluezone.reference_node.node.identity import DeviceIdentity
from bluezone.reference_node.store import Store
from tests.reference_node.exports import public_pem, signing_key

NOW = time.time()
DOWN = "http://127.0.0.1:9"  # the discard port: nothing answers HTTP there
LOG_KEY = NoteSigner("log.example", bytes(32)).verifier().vkey
CODE = "ABCDEFGHJK"


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A node store with two keys (``node``), a PEM key, an empty file and a directory."""
    with Store.open(tmp_path / "node") as store:
        identity = DeviceIdentity(store)
        identity.current_key(NOW - 86_400)
        identity.current_key(NOW)
    (tmp_path / "key.pem").write_bytes(public_pem(signing_key()))
    (tmp_path / "file").write_text("not a directory\n")
    (tmp_path / "keys").mkdir()
    return tmp_path


# (argv with {t} for the temporary directory, exit status, a fragment of the last line)
CASES = [
    # HIGH 1: a report checks the server and the code before it cuts a key
    (["node", "report", "--code", CODE, "--server", DOWN, "--data", "{t}/node"], 1, "127.0.0.1:9"),
    (
        ["node", "report", "--code", CODE, "--server", "127.0.0.1:18457", "--data", "{t}/node"],
        EXIT_USAGE,
        "http:// or https://",
    ),
    (
        ["node", "report", "--code", "ZZ", "--server", DOWN, "--data", "{t}/node"],
        EXIT_USAGE,
        "not a verification code",
    ),
    (
        ["node", "report", "--code", CODE, "--server", DOWN, "--data", "{t}/none"],
        1,
        "no node store",
    ),
    (["node", "upload", "--data", "{t}/file"], EXIT_USAGE, "not a directory"),
    # HIGH 4: publisher settings
    (
        ["server", "run", "--data-dir", "{t}/srv", "--batch-period", "0"],
        EXIT_USAGE,
        "greater than 0",
    ),
    (["server", "run", "--data-dir", "{t}/srv", "--batch-period", "-3"], EXIT_USAGE, "greater"),
    (["server", "run", "--data-dir", "{t}/srv", "--batch-period", "nan"], EXIT_USAGE, "finite"),
    (
        ["server", "run", "--data-dir", "{t}/srv", "--min-batch-keys", "-5"],
        EXIT_USAGE,
        "at least 0",
    ),
    # MEDIUM 5: tracebacks before
    (["server", "run", "--data-dir", "{t}/srv", "--port", "99999"], EXIT_USAGE, "0..65535"),
    (["server", "run", "--data-dir", "{t}/srv", "--port", "-1"], EXIT_USAGE, "0..65535"),
    (["server", "run", "--data-dir", "{t}/srv", "--port", "http"], EXIT_USAGE, "not an integer"),
    (["server", "run", "--data-dir", "{t}/srv", "--host", "http://x"], EXIT_USAGE, "IP address"),
    (
        [
            "server",
            "run",
            "--data-dir",
            "{t}/srv",
            "--origin",
            "o",
            "--host",
            "192.0.2.1",
            "--test-identity",
        ],
        1,
        "not an address of this machine",
    ),
    (["server", "run", "--data-dir", "{t}/file"], EXIT_USAGE, "not a directory"),
    (
        ["server", "run", "--data-dir", "/proc/foo", "--origin", "o", "--test-identity"],
        1,
        "/proc/foo",
    ),
    (["server", "run", "--data-dir", "{t}/srv"], 1, "--origin is required"),
    (
        ["server", "run", "--data-dir", "{t}/srv", "--ha-api-key-file", "/nope"],
        EXIT_USAGE,
        "no such file",
    ),
    (
        ["server", "run", "--data-dir", "{t}/srv", "--witness-key", "nonsense"],
        EXIT_USAGE,
        "not a verifier key",
    ),
    (
        ["ha", "issue-code", "--server", DOWN, "--api-key-file", "/nonexistent"],
        EXIT_USAGE,
        "no such file",
    ),
    (["ha", "issue-code", "--server", DOWN, "--api-key-file", "{t}/key.pem"], 1, "127.0.0.1:9"),
    (
        ["node", "run", "--radio", "sim", "--data", "{t}/x", "--scan", "garbage"],
        EXIT_USAGE,
        "not a duty cycle",
    ),
    (
        ["node", "run", "--radio", "sim", "--data", "{t}/x", "--scan", "10/5-1"],
        EXIT_USAGE,
        "duty cycle",
    ),
    (
        ["node", "run", "--radio", "sim", "--data", "{t}/x", "--scan", "continuous:abc"],
        EXIT_USAGE,
        "duty cycle",
    ),
    (["node", "run", "--radio", "nonsense", "--data", "{t}/x"], 1, "radio"),
    (
        ["node", "run", "--radio", "sim", "--data", "{t}/x", "--duration", "0"],
        EXIT_USAGE,
        "greater than 0",
    ),
    (
        ["node", "run", "--radio", "sim", "--data", "{t}/x", "--tx-power", "500"],
        EXIT_USAGE,
        "-128 to 127",
    ),
    (
        ["node", "run", "--radio", "sim", "--data", "{t}/x", "--calibration-confidence", "4"],
        EXIT_USAGE,
        "0 to 3",
    ),
    (["demo", "--btsnoop", "{t}/nodir2/x.btsnoop"], EXIT_USAGE, "does not exist"),
    (["demo", "--data", "{t}/file"], EXIT_USAGE, "not a directory"),
    (["risk", "evaluate", "--plot", "{t}/nodir/x.png"], EXIT_USAGE, "does not exist"),
    (["risk", "evaluate", "--plot", "/proc/x.png"], 1, "cannot write the plot to /proc/x.png"),
    (["risk", "evaluate", "--false-alarm", "2"], EXIT_USAGE, "between 0 and 1"),
    (["risk", "evaluate", "--resamples", "0"], EXIT_USAGE, "at least 1"),
    # MEDIUM 8: "not exposed" when nothing could be checked (see test_cli.py for the refusal)
    (
        [
            "node",
            "check",
            "--data",
            "{t}/node",
            "--keys-dir",
            "{t}/nokeys",
            "--public-key",
            "{t}/key.pem",
        ],
        EXIT_USAGE,
        "no such directory",
    ),
    (
        ["node", "check", "--data", "{t}/node", "--server", DOWN, "--server-keys", "/no/file"],
        EXIT_USAGE,
        "no such file",
    ),
    (["node", "check", "--data", "{t}/node", "--keys-dir", "{t}/keys"], 1, "go together"),
    (["node", "check", "--data", "{t}/node", "--witness-quorum", "-1"], EXIT_USAGE, "at least 0"),
    # LOW 10: confusing messages
    (["ha", "issue-code", "--server", DOWN, "--validity-hours", "48"], EXIT_USAGE, "24 hours"),
    (["ha", "issue-code", "--server", DOWN, "--onset-date", "yesterday"], EXIT_USAGE, "YYYY-MM-DD"),
    (["audit", "--server", DOWN, "--export-key", "x:y:zz"], EXIT_USAGE, "not base64"),
    (["audit", "--server", DOWN, "--export-key", "nocolons"], EXIT_USAGE, "KEY_ID:VERSION"),
    (["audit", "--server", DOWN, "--peer-state", "/missing.json"], EXIT_USAGE, "no such file"),
    (["audit", "--server", DOWN, "--state", "{t}/s.json"], 1, "trust-on-first-use"),
    (
        ["audit", "--server", DOWN, "--state", "{t}/s.json", "--trust-on-first-use"],
        1,
        "cannot reach the key server at http://127.0.0.1:9",
    ),
    (["audit", "--server", DOWN, "--quorum", "x"], EXIT_USAGE, "not an integer"),
    (["node", "run", "--radio", "sim", "--data", "{t}/file"], EXIT_USAGE, "not a directory"),
    (["risk", "evaluate", "--data", "{t}/keys"], 1, "pass the nhs_gaen_data folder"),
    (
        [
            "witness",
            "run",
            "--server",
            DOWN,
            "--log-key",
            LOG_KEY,
            "--key",
            "{t}/key.pem",
            "--interval",
            "0",
        ],
        EXIT_USAGE,
        "greater than 0",
    ),
    (
        ["witness", "run", "--server", DOWN, "--log-key", "bad", "--key", "{t}/key.pem"],
        EXIT_USAGE,
        "not a verifier key",
    ),
    (
        ["witness", "run", "--server", "ftp://x", "--log-key", LOG_KEY, "--key", "{t}/key.pem"],
        EXIT_USAGE,
        "http:// or https://",
    ),
    # LOW 11
    (
        ["witness", "keygen", "--name", "w.example", "--out", "/nodir/x/w.key"],
        EXIT_USAGE,
        "does not exist",
    ),
    (["witness", "keygen", "--name", "w.example", "--out", "{t}/key.pem"], 1, "not replaced"),
    # the parser itself
    (["no-such-command"], EXIT_USAGE, "invalid choice"),
    (["node"], EXIT_USAGE, "required"),
    (["node", "check"], EXIT_USAGE, "required"),
]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """Run the command line in process; return the status and stderr."""
    try:
        status = main(argv)
    except SystemExit as exited:
        status = exited.code  # type: ignore[assignment]
    return status, capsys.readouterr().err


@pytest.mark.parametrize(("argv", "status", "fragment"), CASES, ids=lambda v: None)
def test_a_bad_invocation_ends_in_one_line(place, capsys, argv, status, fragment):
    argv = [word.replace("{t}", str(place)) for word in argv]
    got, err = run(capsys, argv)
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert (got, fragment in last) == (status, True), err
    assert last.startswith("bluezone")


def test_a_report_refused_for_an_unreachable_server_cut_no_key(place, capsys):
    argv = ["node", "report", "--code", CODE, "--server", DOWN, "--data", str(place / "node")]
    assert run(capsys, argv)[0] == EXIT_ERROR
    with Store.open(place / "node") as store:
        assert store.reports() == [] and len(store.own_keys()) == 2


def test_debug_shows_the_traceback(place, capsys):
    argv = ["ha", "issue-code", "--server", DOWN, "--api-key-file", str(place / "key.pem")]
    assert main(argv) == EXIT_ERROR
    with pytest.raises(Exception, match="cannot reach the key server"):
        main([*argv, "--debug"])


def test_every_option_has_help_and_shows_its_default():
    for parser in _parsers(build_parser()):
        text = parser.format_help()
        assert "``" not in text, parser.prog
        for action in parser._actions:
            if not action.option_strings or action.default == argparse.SUPPRESS:
                continue
            assert action.help, f"{parser.prog} {action.option_strings[0]} has no help"
            if action.default not in (None, False, True, [], ""):
                assert "default" in parser._get_formatter()._get_help_string(action), (
                    f"{parser.prog} {action.option_strings[0]}"
                )


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("bluezone ")


# --- random option values for every subcommand --------------------------------------------

# Enough options for each subcommand to parse; the one under test gets a random value.
REQUIRED = {
    "keys demo": [],
    "server run": ["--data-dir", "{t}/srv"],
    "ha issue-code": ["--server", DOWN],
    "audit": ["--server", DOWN],
    "witness keygen": ["--name", "w", "--out", "{t}/w.key"],
    "witness run": ["--server", DOWN, "--log-key", LOG_KEY, "--key", "{t}/key.pem"],
    "node run": ["--radio", "sim", "--data", "{t}/node"],
    "node check": ["--data", "{t}/node"],
    "node report": ["--code", CODE, "--server", DOWN, "--data", "{t}/node"],
    "node upload": ["--data", "{t}/node"],
    "demo": [],
    "risk evaluate": [],
}


def _options() -> list[tuple[str, str]]:
    found = []
    for parser in _parsers(build_parser()):
        command = parser.prog.removeprefix("bluezone").strip()
        if command not in REQUIRED:
            continue
        for action in parser._actions:
            if action.option_strings and action.nargs != 0:
                found.append((command, action.option_strings[0]))
    return found


OPTIONS = _options()
FIXTURE = HealthCheck.function_scoped_fixture  # the files the options name do not change


def test_the_property_test_covers_every_subcommand():
    assert {command for command, _ in OPTIONS} == set(REQUIRED)
    assert len(OPTIONS) > 50


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(OPTIONS),
    value=st.one_of(
        st.text(max_size=30),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["", "-", "0", "-1", "1e309", "http://", "/", "/proc/x", "a:b:c"]),
    ),
)
def test_random_option_values_parse_or_are_usage_errors(place, capsys, option, value):
    command, flag = option
    base = [word.replace("{t}", str(place)) for word in REQUIRED[command]]
    argv = [*command.split(), *base, f"{flag}={value}"]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exited:
        assert exited.code == EXIT_USAGE
        err = capsys.readouterr().err
        assert err.strip().splitlines()[-1].startswith(f"bluezone {command}: error: ")
        return
    assert args.handler is not None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(["--seed", "--json"]),
    value=st.one_of(st.text(max_size=12), st.integers().map(str)),
)
def test_random_values_run_to_a_documented_status(place, capsys, option, value):
    argv = ["keys", "demo", f"{option}={value}"] if option == "--seed" else ["keys", "demo"]
    status, err = run(capsys, argv)
    assert status in (0, EXIT_USAGE) and "Traceback" not in err


# --- real processes: Ctrl-C, a port in use, a missing extra ---------------------------------


def _bluezone(*argv: str, **kwargs) -> subprocess.Popen[str]:
    code = "import sys; from bluezone.reference_node.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _interrupt_when_started(process: subprocess.Popen[str], started: str) -> tuple[str, str]:
    """Send SIGINT once ``started`` is on stdout (or after the first output line)."""
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    seen = ""
    while started not in seen and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return seen + out, err


@pytest.mark.e2e
def test_ctrl_c_ends_a_long_command_with_one_line_and_status_130(tmp_path):
    # risk evaluate prints nothing until done: interrupt as soon as the process runs Python.
    process = _bluezone("risk", "evaluate")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _imported(process):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, err
    # Interrupted while the commands load, or while the evaluation runs.
    assert err.strip().splitlines() in (
        ["bluezone risk evaluate: interrupted"],
        ["bluezone: interrupted"],
    )


def _imported(process: subprocess.Popen[str]) -> bool:
    """Whether the child has loaded the command line (its memory map names the package)."""
    try:
        maps = Path(f"/proc/{process.pid}/maps").read_text()
    except OSError:
        return False
    return "numpy" in maps


@pytest.mark.e2e
def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        argv = [
            "server",
            "run",
            "--data-dir",
            str(tmp_path),
            "--origin",
            "o",
            "--port",
            port,
            "--test-identity",
        ]
        process = _bluezone(*argv)
        _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_ERROR
    assert err.strip().splitlines()[-1] == (
        f"bluezone server run: port {port} is in use on 127.0.0.1: stop what uses it or"
        " choose another --port"
    )


BLOCK_EXTRAS = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {"aiohttp", "bumble", "bleak", "matplotlib", "asyncpg"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
from bluezone.reference_node.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["demo"], "node"),
        (["server", "run", "--data-dir", "{t}", "--origin", "o"], "server"),
        (["node", "report", "--code", CODE, "--server", DOWN, "--data", "{t}/node"], "node"),
        (["audit", "--server", DOWN, "--trust-on-first-use", "--state", "{t}/s.json"], "server"),
        (["risk", "evaluate", "--plot", "{t}/roc.png"], "plot"),
    ],
)
def test_a_missing_extra_is_named_in_one_line(place, argv, extra):
    argv = [word.replace("{t}", str(place)) for word in argv]
    process = subprocess.run(
        [sys.executable, "-c", BLOCK_EXTRAS, *argv], capture_output=True, text=True, timeout=120
    )
    assert process.returncode == EXIT_ERROR, process.stderr
    (line,) = process.stderr.strip().splitlines()
    assert f"bluezone-protocol[{extra}]" in line


def test_the_base_install_still_runs_what_needs_no_extra():
    process = subprocess.run(
        [sys.executable, "-c", BLOCK_EXTRAS, "keys", "demo", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert process.returncode == 0, process.stderr


def test_server_run_defaults_are_values_of_their_type(tmp_path):
    args = build_parser().parse_args(["server", "run", "--data-dir", str(tmp_path)])
    assert isinstance(args.min_batch_keys, int) and args.min_batch_keys >= 0
    assert isinstance(args.batch_period, float) and isinstance(args.port, int)


@pytest.mark.e2e
def test_ctrl_c_in_the_demo_is_one_line_too(tmp_path):
    data = tmp_path / "stores"
    process = _bluezone("demo", "--data", str(data), "--btsnoop", str(tmp_path / "b.btsnoop"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (data / "carol").exists():
        time.sleep(0.01)  # the demo runs: its nodes' stores are being written
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert err.strip().splitlines() == ["bluezone demo: interrupted"]
