"""The witness: its state file, ``bluezone witness keygen`` and ``bluezone witness run``.

The commands run their own event loop, so the key server runs in a thread of its own here
(``ServerThread``); the signal tests start the command as a process.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bluezone.protocol.checkpoint import Checkpoint, sign_checkpoint
from bluezone.protocol.note import NoteSigner, NoteVerifier
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1
from bluezone.reference_node.cli.commands import main
from bluezone.reference_node.client.witness import Witness
from bluezone.reference_node.server.errors import WitnessKeyError, WitnessStateError
from bluezone.reference_node.server.keyfiles import load_witness_signer
from bluezone.reference_node.server.runner import ServerConfig

from .conftest import config_for, running
from .tamper import rewrite_log

ROOT = Path(__file__).resolve().parents[3]
UNREACHABLE = "http://127.0.0.1:9"
ROOT_A = bytes(range(32))


class ServerThread:
    """A test key server (conftest's ``running``) in its own thread and event loop."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def __enter__(self) -> ServerThread:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._context = running(self.config)
        self.server = self.call(self._context.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call(self._context.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()

    def call(self, coroutine):
        """Run a coroutine in the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def publish(self, count: int) -> None:
        """Publish ``count`` batches (padding only) now."""
        for _ in range(count):
            self.call(self.server.publisher.publish_once(force=True))

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def log_key(self) -> str:
        return self.server.keys.log.vkey

    def export_key(self) -> str:
        """The export key as ``bluezone audit --export-key`` takes it."""
        export = self.server.keys.export
        der64 = base64.b64encode(export.public_key_der).decode()
        return f"{export.key_id}:{export.key_version}:{der64}"

    def served(self, relative: str) -> bytes | None:
        return self.server.publisher.files.read(relative)


@pytest.fixture
def witness_key(tmp_path, capsys) -> tuple[Path, str]:
    """A witness key file made by ``bluezone witness keygen``, and its verifier key."""
    path = tmp_path / "witness.key"
    assert main(["witness", "keygen", "--name", "witness.test", "--out", str(path)]) == 0
    return path, capsys.readouterr().out.strip()


def _run(url: str, log_key: str, key: Path, *more: str) -> int:
    return main(["witness", "run", "--server", url, "--log-key", log_key, "--key", str(key), *more])


def _state_of(key: Path) -> Path:
    return key.with_name(key.name + ".state.json")


# --- bluezone witness keygen --------------------------------------------------------------


def test_keygen_writes_a_private_key_and_prints_its_verifier_key(witness_key):
    path, vkey = witness_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    verifier = NoteVerifier.from_vkey(vkey)
    assert (verifier.name, verifier.signature_type) == ("witness.test", 0x04)
    assert load_witness_signer(path).verifier() == verifier
    assert path.read_text().startswith("PRIVATE+KEY+witness.test+")
    assert sorted(p.name for p in path.parent.iterdir()) == ["witness.key"]


def test_keygen_refuses_to_overwrite(witness_key, capsys):
    path, _ = witness_key
    before = path.read_bytes()
    assert main(["witness", "keygen", "--name", "other.test", "--out", str(path)]) == 1
    assert "exists" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_keygen_refuses_a_bad_name(tmp_path, capsys):
    path = tmp_path / "w.key"
    assert main(["witness", "keygen", "--name", "two words", "--out", str(path)]) == 1
    assert "note_key_invalid" in capsys.readouterr().err
    assert not path.exists()


# --- the state file -------------------------------------------------------------------------


def _log_and_note(size: int = 1, root: bytes = ROOT_A) -> tuple[NoteVerifier, bytes]:
    signer = NoteSigner("state.test/log", bytes(range(1, 33)))
    return signer.verifier(), sign_checkpoint(Checkpoint(signer.name, size, root), signer)


def _witness(tmp_path: Path) -> Witness:
    signer = NoteSigner("witness.test", bytes(range(2, 34)), SIGNATURE_TYPE_COSIGNATURE_V1)
    return Witness(signer, tmp_path / "state.json")


def test_state_is_written_durably(tmp_path, monkeypatch):
    witness = _witness(tmp_path)
    log, note = _log_and_note()
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(source, target):
        calls.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    witness.cosign(note, log, (), 1)
    assert calls == ["fsync file", "replace", "fsync dir"]
    assert witness.last_size(log.name) == 1
    # No temporary file is left; the lock file (spec WIT-2's atomic check) stays.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"state.test/log": 3}',
        b'{"state.test/log": {"size": 3}}',
        b'{"state.test/log": {"size": "3", "root": "AAAA"}}',
        b'{"state.test/log": {"size": 3, "root": "AAAA"}}',
        b'{"state.test/log": {"size": true, "root": "' + base64.b64encode(ROOT_A) + b'"}}',
        None,  # a directory where the file should be
    ],
    ids=["json", "utf8", "array", "entry", "no-root", "size-text", "short-root", "bool", "dir"],
)
def test_a_bad_state_file_raises_a_typed_error_and_is_left_alone(tmp_path, content):
    witness = _witness(tmp_path)
    log, note = _log_and_note()
    if content is None:
        witness.state_path.mkdir()
    else:
        witness.state_path.write_bytes(content)
    with pytest.raises(WitnessStateError):
        witness.last_size(log.name)
    with pytest.raises(WitnessStateError):
        witness.cosign(note, log, (), 1)
    if content is not None:
        assert witness.state_path.read_bytes() == content


def test_a_state_file_that_cannot_be_written_raises_a_typed_error(tmp_path):
    witness = _witness(tmp_path)
    witness.state_path = tmp_path / "a-file" / "state.json"
    (tmp_path / "a-file").write_text("not a directory")
    log, note = _log_and_note()
    with pytest.raises(WitnessStateError):
        witness.cosign(note, log, (), 1)


def test_witness_run_with_a_corrupt_state_file_exits_1(witness_key, tmp_path, capsys):
    key, _ = witness_key
    state = tmp_path / "corrupt.json"
    state.write_text('{"truncated": ')
    log, _ = _log_and_note()
    assert _run(UNREACHABLE, log.vkey, key, "--state", str(state)) == 1
    err = capsys.readouterr().err
    assert "witness state file is malformed" in err and "Traceback" not in err
    assert state.read_text() == '{"truncated": '


def test_witness_run_with_a_bad_key_or_log_key_exits_1(witness_key, tmp_path, capsys):
    key, vkey = witness_key
    log, _ = _log_and_note()
    with pytest.raises(SystemExit) as exited:  # a usage error, found before any work
        _run(UNREACHABLE, log.vkey, tmp_path / "missing.key")
    assert exited.value.code == 64
    assert "argument --key: " in capsys.readouterr().err
    (tmp_path / "bad.key").write_text("PRIVATE+KEY+nonsense\n")
    assert _run(UNREACHABLE, log.vkey, tmp_path / "bad.key") == 1
    assert "not a witness signing key" in capsys.readouterr().err
    assert _run(UNREACHABLE, vkey, key) == 1  # a cosignature key is no log key
    assert "Ed25519 (type 0x01)" in capsys.readouterr().err
    with pytest.raises(WitnessKeyError):
        load_witness_signer(tmp_path / "bad.key")


def test_witness_run_against_an_unreachable_server_exits_1(witness_key, capsys):
    key, _ = witness_key
    log, _ = _log_and_note()
    assert _run(UNREACHABLE, log.vkey, key, "--once") == 1
    err = capsys.readouterr().err
    assert "cannot reach the key server" in err and "Traceback" not in err
    assert not _state_of(key).exists()


# --- bluezone witness run against a server ---------------------------------------------------


def _audit(server: ServerThread, state: Path, vkey: str) -> int:
    return main(
        [
            "audit",
            "--server",
            server.url,
            "--state",
            str(state),
            "--log-key",
            server.log_key,
            "--export-key",
            server.export_key(),
            "--witness-key",
            vkey,
            "--quorum",
            "1",
        ]
    )


def _config(tmp_path: Path, vkey: str) -> ServerConfig:
    return config_for(tmp_path, witnesses=(NoteVerifier.from_vkey(vkey),))


def _cosignature_posts(caplog) -> int:
    return sum("POST /v1/checkpoints/{size}/cosignatures" in r.getMessage() for r in caplog.records)


def test_witness_run_cosigns_and_a_quorum_client_accepts(witness_key, tmp_path, capsys, caplog):
    key, vkey = witness_key
    caplog.set_level(logging.INFO, logger="bluezone.server")
    with ServerThread(_config(tmp_path, vkey)) as server:
        server.publish(2)
        # Not yet cosigned: exit 3 and a message of its own, not a finding (WIT-5).
        assert _audit(server, tmp_path / "early.json", vkey) == 3
        assert "AUDIT INCOMPLETE: NOT YET COSIGNED" in capsys.readouterr().err
        capsys.readouterr()

        assert _run(server.url, server.log_key, key, "--once") == 0
        assert capsys.readouterr().out == "bluezone.test/log: tree size 2: cosigned\n"
        cosigned = server.served("v1/checkpoint")
        assert cosigned == server.served("v1/checkpoints/2")
        assert "\n— witness.test " in cosigned.decode()
        assert _audit(server, tmp_path / "audit.json", vkey) == 0
        assert "audit passed" in capsys.readouterr().out

        # Nothing new: not cosigned again, not posted again, the state file untouched.
        state = _state_of(key).read_bytes()
        posts = _cosignature_posts(caplog)
        assert _run(server.url, server.log_key, key) == 0
        assert capsys.readouterr().out == "bluezone.test/log: tree size 2: unchanged\n"
        assert _cosignature_posts(caplog) == posts == 1
        assert _state_of(key).read_bytes() == state

        # The log grew: the witness checks the consistency proof from 2 to 5.
        server.publish(3)
        assert _run(server.url, server.log_key, key) == 0
        assert capsys.readouterr().out == "bluezone.test/log: tree size 5: cosigned\n"
        assert Witness(load_witness_signer(key), _state_of(key)).last_size("bluezone.test/log") == 5
        assert "\n— witness.test " in server.served("v1/checkpoints/5").decode()
        assert _audit(server, tmp_path / "audit.json", vkey) == 0


def test_witness_run_posts_again_a_cosignature_the_server_lost(witness_key, tmp_path, capsys):
    key, vkey = witness_key
    with ServerThread(_config(tmp_path, vkey)) as server:
        server.publish(1)
        plain = server.served("v1/checkpoint")
        assert _run(server.url, server.log_key, key) == 0
        # The post was lost (as if the witness stopped between saving its state and
        # posting): the same checkpoint is cosigned and posted again.
        server.call(server.server.publisher.store_cosigned(1, plain))
        assert _run(server.url, server.log_key, key) == 0
        assert (
            capsys.readouterr().out.splitlines()[-1] == "bluezone.test/log: tree size 1: cosigned"
        )
        assert "\n— witness.test " in server.served("v1/checkpoint").decode()


def test_witness_run_of_a_log_without_checkpoint_exits_0(witness_key, tmp_path, capsys):
    key, vkey = witness_key
    with ServerThread(_config(tmp_path, vkey)) as server:
        assert _run(server.url, server.log_key, key) == 0
    assert capsys.readouterr().out == "bluezone.test/log: no checkpoint published yet\n"
    assert not _state_of(key).exists()


@pytest.mark.parametrize(
    ("order", "more", "finding"),
    [
        ([0, 2, 1], 0, "SPLIT VIEW"),  # reordered: another root at the cosigned size
        ([0, 2], 0, "REWRITTEN HISTORY"),  # batch 1 removed: the tree shrank
        ([0, 2], 2, "SPLIT VIEW"),  # removed, then grown past the cosigned size
    ],
)
def test_witness_run_refuses_a_rewritten_log(witness_key, tmp_path, capsys, order, more, finding):
    key, vkey = witness_key
    config = _config(tmp_path, vkey)
    with ServerThread(config) as server:
        server.publish(3)
        assert _run(server.url, server.log_key, key) == 0
        log_key = server.log_key
    state = _state_of(key).read_bytes()
    rewrite_log(config.data_dir, order)
    with ServerThread(config) as server:
        server.publish(more)
        served = server.served("v1/checkpoint")
        capsys.readouterr()
        assert _run(server.url, log_key, key) == 2
        assert server.served("v1/checkpoint") == served  # nothing was posted
    out = capsys.readouterr()
    assert f"REFUSED TO COSIGN: {finding}" in out.err and "Traceback" not in out.err
    assert out.out == ""
    assert _state_of(key).read_bytes() == state
    assert sorted(p.name for p in key.parent.iterdir() if p.name.startswith(".")) == []


def test_witness_run_refuses_a_checkpoint_another_key_signed(witness_key, tmp_path, capsys):
    key, vkey = witness_key
    impostor = NoteSigner("bluezone.test/log", bytes(range(7, 39))).verifier()
    with ServerThread(_config(tmp_path, vkey)) as server:
        server.publish(1)
        assert _run(server.url, impostor.vkey, key) == 2
    assert "REFUSED TO COSIGN: BAD SIGNATURE" in capsys.readouterr().err
    assert not _state_of(key).exists()


# --- --interval and signals ----------------------------------------------------------------


def _start(url: str, log_key: str, key: Path, *more: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(
                sys.executable,
                "-m",
                "bluezone.reference_node.cli",
                "witness",
                "run",
                "--server",
                url,
            ),
            *("--log-key", log_key, "--key", str(key), *more),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _line(stream, timeout_s: float = 30.0) -> str:
    ready, _, _ = select.select([stream], [], [], timeout_s)
    assert ready, "no output in time"
    return stream.readline()


def _stop(process: subprocess.Popen, signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()  # a no-op once it has exited
    return process.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["term", "int"])
def test_interval_runs_until_a_signal_and_exits_cleanly(witness_key, tmp_path, signum):
    key, vkey = witness_key
    with ServerThread(_config(tmp_path, vkey)) as server:
        server.publish(2)
        process = _start(server.url, server.log_key, key, "--interval", "0.2")
        assert _line(process.stdout) == "bluezone.test/log: tree size 2: cosigned\n"
        assert _line(process.stdout) == "bluezone.test/log: tree size 2: unchanged\n"
        server.publish(1)
        deadline = time.monotonic() + 30
        while _line(process.stdout) != "bluezone.test/log: tree size 3: cosigned\n":
            assert time.monotonic() < deadline
        status, out, err = _stop(process, signum)
    assert status == 0, err
    assert out.endswith("stopped witnessing\n") and err == ""


def test_interval_reports_network_failures_and_goes_on(witness_key):
    key, _ = witness_key
    log, _ = _log_and_note()
    process = _start(UNREACHABLE, log.vkey, key, "--interval", "0.1")
    for _ in range(2):
        assert "cannot reach the key server" in _line(process.stderr)
    status, out, err = _stop(process, signal.SIGTERM)
    assert status == 0 and out.endswith("stopped witnessing\n") and "Traceback" not in err
