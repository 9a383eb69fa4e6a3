"""``bluezone node report``, ``node upload`` and the key-source options, as commands."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bluezone.protocol import params
from bluezone.protocol.params import TOKEN_EXPIRY_STEP_S
from bluezone.reference_node.cli import report as report_cli
from bluezone.reference_node.cli.commands import build_parser, main
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.node.identity import DeviceIdentity
from bluezone.reference_node.store import Store
from tests.reference_node.node.server_thread import ServerThread, SettableClock
from tests.reference_node.server.conftest import HA_API_KEY, config_for

DAY_S = params.SECONDS_PER_DAY


def node_with_keys(data: Path, now_s: float) -> None:
    """A node store holding yesterday's key and today's, as a node that ran would."""
    with Store.open(data) as store:
        identity = DeviceIdentity(store)
        identity.current_key(now_s - DAY_S)
        identity.current_key(now_s - 1800)


def command(argv: list[str], clock: SettableClock | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args, clock) if clock is not None else args.handler(args)


def issue_code(server: ServerThread) -> str:
    async def issue():
        async with KeyServerClient(server.url) as client:
            return (await client.issue_code(HA_API_KEY)).code

    return server.call(issue())


@pytest.fixture
def now() -> float:
    # 2025-11-24 16:05 UTC, five minutes into an interval.
    return (1_764_000_000 // params.INTERVAL_SECONDS) * params.INTERVAL_SECONDS + 300


def test_report_with_wait_uploads_once_the_embargo_is_over(tmp_path, now, capsys, monkeypatch):
    clock = SettableClock(now)
    node_with_keys(tmp_path / "node", now)

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr(report_cli, "_sleep", sleep)
    with ServerThread(config_for(tmp_path), clock) as server:
        code = issue_code(server)
        argv = ["node", "report", "--code", code, "--server", server.url]
        assert command([*argv, "--data", str(tmp_path / "node"), "--wait"], clock) == 0
    out = capsys.readouterr().out
    assert "report 1 recorded" in out
    assert "uploaded: the key server accepted 2 of 2 keys" in out
    assert clock.now >= (now // params.INTERVAL_SECONDS + 13) * params.INTERVAL_SECONDS
    with Store.open(tmp_path / "node") as store:
        (upload,) = store.uploads()
        assert upload.state == "uploaded"
        assert len(store.own_keys()) == 3  # yesterday's, today's (cut) and the new one


def test_a_used_code_is_refused_and_said_so(tmp_path, now, capsys):
    clock = SettableClock(now)
    node_with_keys(tmp_path / "a", now)
    node_with_keys(tmp_path / "b", now)
    with ServerThread(config_for(tmp_path), clock) as server:
        code = issue_code(server)
        for name, status in (("a", 0), ("b", 1)):
            argv = ["node", "report", "--code", code, "--server", server.url]
            assert command([*argv, "--data", str(tmp_path / name)], clock) == status
    err = capsys.readouterr().err
    assert "refused (code_used), nothing recorded: the code was already used" in err
    with Store.open(tmp_path / "b") as store:
        assert store.uploads() == [] and store.reports() == [] and len(store.own_keys()) == 2


def test_a_mistyped_code_is_a_usage_error_and_changes_nothing(tmp_path, now, capsys):
    node_with_keys(tmp_path, now)
    argv = ["node", "report", "--code", "NOT-A-CODE", "--server", "http://127.0.0.1:9"]
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--data", str(tmp_path)])
    assert exited.value.code == 64
    assert "argument --code: not a verification code" in capsys.readouterr().err
    with Store.open(tmp_path) as store:
        assert store.reports() == [] and len(store.own_keys()) == 2


def test_an_unreachable_server_changes_nothing_and_the_code_works_later(tmp_path, now, capsys):
    clock = SettableClock(now)
    node_with_keys(tmp_path / "node", now)
    data = ["--data", str(tmp_path / "node")]
    with ServerThread(config_for(tmp_path), clock) as server:
        code = issue_code(server)
        down = ["node", "report", "--code", code, "--server", "http://127.0.0.1:9", *data]
        assert command(down, clock) == 1
        err = capsys.readouterr().err
        assert "cannot reach the key server at http://127.0.0.1:9" in err
        assert "report again with the same code" in err and len(err.splitlines()) == 1
        with Store.open(tmp_path / "node") as store:
            assert store.reports() == [] and store.uploads() == [] and len(store.own_keys()) == 2
        assert command(["node", "upload", *data], clock) == 0
        up = ["node", "report", "--code", code, "--server", server.url, *data]
        assert command(up, clock) == 0
    with Store.open(tmp_path / "node") as store:
        (upload,) = store.uploads()
        assert upload.state == "waiting" and len(store.own_keys()) == 3


def test_upload_exits_1_while_a_report_has_failed_and_says_what_to_do(tmp_path, now, capsys):
    clock = SettableClock(now)
    node_with_keys(tmp_path / "node", now)
    data = ["--data", str(tmp_path / "node")]
    with ServerThread(config_for(tmp_path), clock) as server:
        argv = ["node", "report", "--code", issue_code(server), "--server", server.url, *data]
        assert command(argv, clock) == 0
        # the token (its expiry rounded up, SRV-4) expires before the embargo ends
        clock.now += params.TOKEN_VALIDITY_S + TOKEN_EXPIRY_STEP_S
        assert command(["node", "upload", *data], clock) == 1
        assert "token_expired" in capsys.readouterr().out
        assert command(["node", "upload", *data], clock) == 1
        assert "ask the health authority for a new code" in capsys.readouterr().out
        clock.now += params.INTERVAL_SECONDS
        argv = ["node", "report", "--code", issue_code(server), "--server", server.url, *data]
        assert command(argv, clock) == 0
        assert command(["node", "upload", *data], clock) == 0


def test_report_on_the_store_of_a_running_node_says_to_stop_it(tmp_path, now, capsys):
    node_with_keys(tmp_path, now)
    with Store.open(tmp_path):  # held, as a running node holds it
        argv = ["node", "report", "--code", "7KQ4MX2P9H", "--server", "http://127.0.0.1:9"]
        assert command([*argv, "--data", str(tmp_path)], SettableClock(now)) == 1
    assert "a node is running on" in capsys.readouterr().err


def test_report_and_upload_need_a_node_store(tmp_path, capsys):
    argv = ["node", "report", "--code", "7KQ4MX2P9H", "--server", "http://127.0.0.1:9"]
    assert main([*argv, "--data", str(tmp_path / "none")]) == 1
    assert main(["node", "upload", "--data", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.count("no node store") == 2


def test_upload_with_nothing_to_do(tmp_path, now, capsys):
    node_with_keys(tmp_path, now)
    assert main(["node", "upload", "--data", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"uploads": []}
    assert main(["node", "upload", "--data", str(tmp_path)]) == 0
    assert "no report to upload" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "give --keys-dir with --public-key, or --server with --server-keys"),
        (["--server", "http://127.0.0.1:9"], "--server and --server-keys go together"),
        (["--keys-dir", ".", "--server", "http://x"], "not both"),
    ],
)
def test_check_options_name_one_key_source(tmp_path, now, capsys, options, message):
    node_with_keys(tmp_path, now)
    assert main(["node", "check", "--data", str(tmp_path), *options]) == 1
    assert message in capsys.readouterr().err


def test_node_run_checks_against_the_key_server(tmp_path, capsys):
    clock = SettableClock(time.time())
    config = config_for(tmp_path)
    with ServerThread(config, clock) as server:
        assert server.publish() == 0
        argv = ["node", "run", "--radio", "sim", "--data", str(tmp_path / "node")]
        options = ["--duration", "1.5", "--scan", "continuous", "--status-every", "0"]
        keys = str(config.data_dir / "public" / "v1" / "keys")
        source = ["--server", server.url, "--server-keys", keys, "--check-every", "0.5"]
        assert main([*argv, *options, *source]) == 0
    with Store.open(tmp_path / "node") as store:
        checks = store.exposure_checks()
        state = store.server_log("bluezone.test/log")
    assert checks and all(c.batch_ids == ("bluezone.test/log#0",) for c in checks)
    assert all(c.keys_checked == 20 for c in checks)
    assert state is not None and state.tree_size == 1


def test_an_unreachable_key_server_fails_the_check_not_the_node(tmp_path, capsys):
    config = config_for(tmp_path)
    with ServerThread(config, SettableClock(time.time())):
        keys = str(config.data_dir / "public" / "v1" / "keys")
    argv = ["node", "run", "--radio", "sim", "--data", str(tmp_path / "node")]
    options = ["--duration", "1.2", "--scan", "continuous", "--status-every", "0"]
    source = ["--server", "http://127.0.0.1:9", "--server-keys", keys, "--check-every", "0.3"]
    assert main([*argv, *options, *source]) == 0
    assert "exposure check failed (key_source)" in capsys.readouterr().err
    with Store.open(tmp_path / "node") as store:
        assert store.exposure_checks() == []
