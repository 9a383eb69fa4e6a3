"""``bluezone server run``, ``bluezone ha issue-code`` and ``bluezone audit`` as commands."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bluezone.protocol.export import ExportFile
from bluezone.reference_node.cli.commands import main
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.publisher import PublisherConfig

from .conftest import config_for, past_keys, run, running
from .tamper import rewrite_log

ROOT = Path(__file__).resolve().parents[3]


def _start(data_dir: Path, key_file: Path) -> tuple[subprocess.Popen, str]:
    command = [
        sys.executable,
        "-m",
        "bluezone.reference_node.cli",
        "server",
        "run",
        "--data-dir",
        str(data_dir),
        "--origin",
        "cli.test/log",
        "--test-identity",
        "--port",
        "0",
        "--min-batch-keys",
        "10",
        "--batch-period",
        "0.5",
        "--ha-api-key-file",
        str(key_file),
        "--region",
        "CLI",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"at (http://\S+)", line)
    assert match, line
    return process, match.group(1)


def _wait_for_a_publication(url: str, limit_s: float = 30) -> None:
    """Poll ``/v1/checkpoint`` until the log holds a batch; fail after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/checkpoint", timeout=5) as response:
                if int(response.read().decode().split("\n")[1]) >= 1:
                    return
        except urllib.error.HTTPError as exc:
            assert exc.code == 404, exc
        time.sleep(0.05)
    raise AssertionError(f"no publication within {limit_s} s")


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


@pytest.mark.e2e
def test_server_ha_and_audit_commands(tmp_path, rng, capsys):
    key_file = tmp_path / "ha.key"
    key_file.write_text("cli-test-health-authority-key\n")
    state = tmp_path / "audit.json"
    process, url = _start(tmp_path / "server", key_file)
    try:
        assert (
            main(["ha", "issue-code", "--server", url, "--api-key-file", str(key_file), "--json"])
            == 0
        )
        code = json.loads(capsys.readouterr().out)["code"]

        async def report():
            async with KeyServerClient(url) as client:
                return await client.report(code, past_keys(rng, time.time()))

        assert asyncio.run(report()) == 3
        _wait_for_a_publication(url)
        assert main(["audit", "--server", url, "--state", str(state), "--trust-on-first-use"]) == 0
        out = capsys.readouterr()
        assert "audit passed" in out.out and "first use" in out.err
        assert main(["audit", "--server", url, "--state", str(state)]) == 0
    finally:
        assert _stop(process) == 0
    size = json.loads(state.read_text())["checkpoint"].split("\n")[1]
    rewrite_log(tmp_path / "server", list(range(1, int(size))))  # batch 0 removed
    process, url = _start(tmp_path / "server", key_file)
    try:
        capsys.readouterr()
        assert main(["audit", "--server", url, "--state", str(state)]) == 2
        err = capsys.readouterr().err
        assert "AUDIT FAILED: REWRITTEN HISTORY" in err
    finally:
        _stop(process)


def test_audit_without_keys_refuses_to_guess(tmp_path, capsys):
    state = str(tmp_path / "s.json")
    assert main(["audit", "--server", "http://127.0.0.1:9", "--state", state]) == 1
    assert "trust-on-first-use" in capsys.readouterr().err


def test_audit_of_an_unreachable_server_exits_1(tmp_path, capsys):
    status = main(
        [
            "audit",
            "--server",
            "http://127.0.0.1:9",
            "--state",
            str(tmp_path / "s.json"),
            "--trust-on-first-use",
        ]
    )
    assert status == 1
    assert "could not audit" in capsys.readouterr().err


@pytest.mark.parametrize(
    "identity", [[], ["--region", "VN"], ["--export-key-id", "452"]], ids=["none", "region", "id"]
)
def test_server_run_refuses_the_default_export_identity(tmp_path, capsys, identity):
    argv = ["server", "run", "--data-dir", str(tmp_path / "d"), "--origin", "cli.test/log"]
    assert main([*argv, "--port", "0", *identity]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "SRV-10" in line and "--region and --export-key-id" in line
    assert not (tmp_path / "d").exists()


def test_a_registered_export_identity_is_written_into_every_batch(tmp_path):
    config = dataclasses.replace(
        config_for(tmp_path),
        test_identity=False,
        export_key_id="452",
        publisher=PublisherConfig(region="VN", min_batch_keys=20),
    )

    async def scenario():
        async with running(config) as server:
            await server.publisher.publish_once(force=True)
            archive = server.publisher.files.read("v1/batches/0.zip")
            return ExportFile.from_zip(archive)

    export = run(scenario())
    assert export.payload.region == "VN"
    assert {s.signature_info.verification_key_id for s in export.signatures} == {"452"}


def test_gaen_options_configure_the_gaen_api(tmp_path):
    """--gaen-ha-id turns on the GAEN-compatible API with the apps' keys (GAPI-1, GAPI-2)."""
    import argparse

    from bluezone.reference_node.cli.server import add_server_arguments, server_config

    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    base = ["--data-dir", str(tmp_path), "--origin", "example.org/log"]
    assert server_config(parser.parse_args(base)).gaen is None
    keys = tmp_path / "app-keys"
    keys.write_text("first-app-key-0123456789\n\nsecond-app-key-0123456789\n")
    args = parser.parse_args(
        [*base, "--gaen-ha-id", "org.example", "--gaen-api-key-file", str(keys)]
    )
    gaen = server_config(args).gaen
    assert gaen.api_keys == ("first-app-key-0123456789", "second-app-key-0123456789")
    assert (gaen.health_authority_id, gaen.issuer, gaen.audience) == ("org.example",) * 3
    keys.write_text("short\n")
    with pytest.raises(SystemExit):
        server_config(args)
    with pytest.raises(SystemExit):
        server_config(parser.parse_args([*base, "--gaen-ha-id", "org.example"]))
