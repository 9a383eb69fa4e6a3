"""Witnesses the C2SP way: the log asks at publication, serves only cosigned checkpoints.

A witness (``bluezone witness serve``'s application) and a key server run in the test's
event loop on loopback (spec WIT-1..WIT-5).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bluezone.protocol.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from bluezone.protocol.merkle import MerkleTree
from bluezone.protocol.note import NoteSigner, NoteVerifier
from bluezone.protocol.params import SIGNATURE_TYPE_COSIGNATURE_V1
from bluezone.protocol.witness import AddCheckpoint
from bluezone.reference_node.cli.commands import main
from bluezone.reference_node.client.audit import AuditState, audit
from bluezone.reference_node.client.client import KeyServerClient, TrustConfig
from bluezone.reference_node.client.witness import Witness
from bluezone.reference_node.client.witness_server import witness_app
from bluezone.reference_node.server.errors import ConfigError
from bluezone.reference_node.server.witnessing import (
    HttpWitnesses,
    WitnessPolicy,
    add_verified_cosignatures,
)

from .conftest import ORIGIN, config_for, http, running

WITNESS_SEED = bytes(range(7, 39))


def _witness_signer(name: str = "witness.test", seed: bytes = WITNESS_SEED) -> NoteSigner:
    return NoteSigner(name, seed, SIGNATURE_TYPE_COSIGNATURE_V1)


@contextlib.asynccontextmanager
async def witness_serving(
    state: Path, logs: list[NoteVerifier], port: int = 0
) -> AsyncIterator[str]:
    """Serve add-checkpoint on loopback; yield the witness's URL (its submission prefix)."""
    witness = Witness(_witness_signer(), state)
    runner = web.AppRunner(witness_app(witness, logs), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        host, bound = runner.addresses[0][:2]
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()


def _pushing(tmp_path: Path, url: str, quorum: int = 1, **changes):
    return config_for(
        tmp_path,
        witnesses=(_witness_signer().verifier(),),
        witness_urls=(url,),
        witness_quorum=quorum,
        **changes,
    )


def _size(note: bytes | None) -> int | None:
    return None if note is None else int(note.split(b"\n")[1])


def _cosigned(note: bytes | None) -> bool:
    return note is not None and b"\n\xe2\x80\x94 witness.test " in note


def _trust(server, quorum: int = 1) -> TrustConfig:
    return TrustConfig(server.keys.log, server.keys.export, server.keys.witnesses, quorum)


def test_publication_asks_the_witness_and_serves_the_cosigned_checkpoint(tmp_path):
    async def scenario():
        # A first start makes the log key, which the witness gets from the operator.
        async with running(config_for(tmp_path)) as plain:
            log_key = plain.keys.log
        async with (
            witness_serving(tmp_path / "w.json", [log_key]) as url,
            running(_pushing(tmp_path, url)) as server,
        ):
            files = server.publisher.files
            await server.publisher.publish_once(force=True)
            first = files.read("v1/checkpoint")
            await server.publisher.publish_once(force=True)
            second = files.read("v1/checkpoint")
            assert files.read("v1/checkpoints/latest") == second
            assert files.read("v1/checkpoints/2") == second
            stored = (await server.storage.checkpoints(2))[0].note
            async with KeyServerClient(server.url) as client:
                state = AuditState(ORIGIN)
                report = await audit(client, _trust(server), state)
        return first, second, stored, report

    first, second, stored, report = asyncio.run(scenario())
    assert _size(first) == 1 and _cosigned(first)
    assert _size(second) == 2 and _cosigned(second)  # cosigned from size 1 with a proof
    assert stored == second  # the cosignature is stored with the checkpoint
    assert report.ok and report.tree_size == 2
    witness = Witness(_witness_signer(), tmp_path / "w.json")
    assert witness.last_size(ORIGIN) == 2


def test_without_the_witness_the_newest_checkpoint_waits_at_its_own_path(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="bluezone.server")

    async def scenario():
        async with running(config_for(tmp_path)) as plain:
            log_key = plain.keys.log
        async with witness_serving(tmp_path / "w.json", [log_key]) as url:
            port = int(url.rsplit(":", 1)[1])
            async with running(_pushing(tmp_path, url)) as server:
                await server.publisher.publish_once(force=True)
        # The witness is down: the log publishes all the same, but v1/checkpoint stays.
        async with running(_pushing(tmp_path, url)) as server:
            files = server.publisher.files
            await server.publisher.publish_once(force=True)
            waiting = files.read("v1/checkpoint"), files.read("v1/checkpoints/latest")
            async with KeyServerClient(server.url) as client:
                state = AuditState(ORIGIN)
                behind = await audit(client, _trust(server), state)
                # The witness is back, on the same address; the next round catches up.
                async with witness_serving(tmp_path / "w.json", [log_key], port):
                    await server.publisher.cosign_latest()
                    caught_up = files.read("v1/checkpoint")
                    ahead = await audit(client, _trust(server), state)
        return waiting, behind, caught_up, ahead

    (served, newest), behind, caught_up, ahead = asyncio.run(scenario())
    assert _size(served) == 1 and _cosigned(served)
    assert _size(newest) == 2 and not _cosigned(newest)
    assert "unreachable" in caplog.text
    assert behind.ok and behind.tree_size == 1  # a client sees the last cosigned tree
    assert _size(caught_up) == 2 and _cosigned(caught_up)
    assert ahead.ok and ahead.tree_size == 2


def test_a_log_that_forgot_the_witness_s_size_learns_it_from_409(tmp_path):
    async def scenario():
        async with running(config_for(tmp_path)) as plain:
            log_key = plain.keys.log
        async with witness_serving(tmp_path / "w.json", [log_key]) as url:
            async with running(_pushing(tmp_path, url)) as server:
                await server.publisher.publish_once(force=True)
                await server.publisher.publish_once(force=True)
            # A restarted log starts from old size 0; the witness answers 409 with 2.
            async with running(_pushing(tmp_path, url)) as server:
                cosigners = server.publisher.cosigners
                assert isinstance(cosigners, HttpWitnesses)
                assert cosigners.known_sizes == {url: 0}
                await server.publisher.publish_once(force=True)
                return cosigners.known_sizes[url], server.publisher.files.read("v1/checkpoint")

    known, served = asyncio.run(scenario())
    assert known == 3
    assert _size(served) == 3 and _cosigned(served)


def test_a_fork_gets_no_cosignature_and_is_never_served(tmp_path):
    async def scenario():
        async with running(config_for(tmp_path)) as plain:
            log_key = plain.keys.log
        async with witness_serving(tmp_path / "w.json", [log_key]) as url:
            async with running(_pushing(tmp_path, url)) as server:
                await server.publisher.publish_once(force=True)
            shutil.copytree(tmp_path / "server", tmp_path / "fork")
            async with running(_pushing(tmp_path, url)) as server:
                await server.publisher.publish_once(force=True)
            fork = dataclasses.replace(_pushing(tmp_path, url), data_dir=tmp_path / "fork")
            async with running(fork) as forked:
                await forked.publisher.publish_once(force=True)
                files = forked.publisher.files
                return files.read("v1/checkpoint"), files.read("v1/checkpoints/latest")

    served, newest = asyncio.run(scenario())
    assert _size(served) == 1 and _cosigned(served)  # cosigned before the fork
    assert _size(newest) == 2 and not _cosigned(newest)  # same size as the witness's, other root
    assert Witness(_witness_signer(), tmp_path / "w.json").last_size(ORIGIN) == 2


def test_a_quorum_set_later_hides_checkpoints_nobody_cosigned(tmp_path):
    async def scenario():
        async with running(config_for(tmp_path)) as server:
            await server.publisher.publish_once(force=True)
            before = server.publisher.files.read("v1/checkpoint")
        async with running(_pushing(tmp_path, "http://127.0.0.1:9")) as server:
            status, _, body = await http("GET", f"{server.url}/v1/checkpoint")
            newest = await http("GET", f"{server.url}/v1/checkpoints/latest")
        return before, status, body, newest

    before, status, body, (newest_status, _, newest) = asyncio.run(scenario())
    assert _size(before) == 1
    assert status == 404 and b'"not_found"' in body
    assert newest_status == 200 and newest == before


def test_a_quorum_above_the_witness_keys_is_refused():
    with pytest.raises(ValueError, match="WIT-4"):
        WitnessPolicy((), 1)
    with pytest.raises(ValueError, match="WIT-4"):
        WitnessPolicy((_witness_signer().verifier(),) * 2, 2)  # one distinct witness


def test_a_server_with_a_quorum_it_cannot_meet_does_not_start(tmp_path):
    config = config_for(tmp_path, witness_quorum=1)

    async def scenario():
        async with running(config):
            pass

    with pytest.raises(ConfigError):
        asyncio.run(scenario())


def test_only_cosignatures_that_verify_under_configured_keys_are_kept():
    log = NoteSigner(ORIGIN, bytes(range(1, 33)))
    tree = MerkleTree()
    tree.append_leaf(b"a")
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, tree.root()), log)
    text = note.split(b"\n\n")[0].decode() + "\n"
    good = _witness_signer().sign(text, 5).line()
    stranger = _witness_signer("stranger.test", bytes(32)).sign(text, 5).line()
    forged = _witness_signer(seed=bytes(32)).sign(text, 5).line()  # right name, wrong key
    policy = WitnessPolicy((_witness_signer().verifier(),), 1)
    assert add_verified_cosignatures(note, [stranger, forged], log.verifier(), policy) == note
    merged = add_verified_cosignatures(note, [forged, good, stranger], log.verifier(), policy)
    assert merged == note + good.encode()
    assert policy.meets_quorum(merged, log.verifier())
    assert not policy.meets_quorum(note, log.verifier())


# --- the witness's HTTP answers (WIT-2) ------------------------------------------------------


def test_the_witness_answers_each_status_of_the_protocol(tmp_path):
    log = NoteSigner(ORIGIN, bytes(range(1, 33)))
    tree = MerkleTree()
    for leaf in (b"a", b"b", b"c"):
        tree.append_leaf(leaf)

    def note(size: int, signer: NoteSigner = log) -> bytes:
        return sign_checkpoint(Checkpoint(signer.name, size, tree.root(size)), signer)

    def body(old: int, size: int, signer: NoteSigner = log, proof=None) -> bytes:
        hashes = tree.consistency_proof(old, size) if proof is None else proof
        return bytes(AddCheckpoint(old, tuple(hashes), note(size, signer)))

    async def scenario():
        answers = {}
        async with witness_serving(tmp_path / "w.json", [log.verifier()]) as url:
            post = f"{url}/add-checkpoint"
            answers["malformed"] = await http("POST", post, data=b"old x\n\n")
            other = NoteSigner("other.test/log", bytes(range(1, 33)))
            answers["unknown"] = await http("POST", post, data=body(0, 1, other))
            impostor = NoteSigner(ORIGIN, bytes(32))
            answers["forbidden"] = await http("POST", post, data=body(0, 1, impostor))
            answers["first"] = await http("POST", post, data=body(0, 2))
            answers["conflict"] = await http("POST", post, data=body(1, 3))
            answers["old-above"] = await http("POST", post, data=body(3, 2, proof=()))
            answers["bad-proof"] = await http("POST", post, data=body(2, 3, proof=[bytes(32)]))
            answers["next"] = await http("POST", post, data=body(2, 3))
            answers["too-large"] = await http("POST", post, data=b"x" * (80 * 1024))
        return answers

    answers = asyncio.run(scenario())
    statuses = {name: status for name, (status, _, _) in answers.items()}
    assert statuses == {
        "malformed": 400,
        "unknown": 404,
        "forbidden": 403,
        "first": 200,
        "conflict": 409,
        "old-above": 400,
        "bad-proof": 422,
        "next": 200,
        "too-large": 413,
    }
    _, headers, size = answers["conflict"]
    assert headers["Content-Type"].startswith("text/x.tlog.size") and size == b"2\n"
    _, _, line = answers["next"]
    text = note(3).split(b"\n\n")[0] + b"\n"
    cosigned = text + b"\n" + note(3).split(b"\n\n")[1] + line
    verified = verify_checkpoint(cosigned, log.verifier(), (_witness_signer().verifier(),), 1)
    assert verified.checkpoint.tree_size == 3
    assert Witness(_witness_signer(), tmp_path / "w.json").last_size(ORIGIN) == 3


# --- the commands -----------------------------------------------------------------------------


def test_audit_with_a_quorum_but_no_witness_key_is_a_usage_error(capsys):
    status = main(["audit", "--server", "http://127.0.0.1:9", "--quorum", "1"])
    assert status == 1
    assert "a quorum of 1 needs at least 1 --witness-key" in capsys.readouterr().err


def test_server_run_with_a_quorum_but_no_witness_key_is_a_usage_error(tmp_path, capsys):
    argv = ["server", "run", "--data-dir", str(tmp_path), "--origin", ORIGIN, "--test-identity"]
    assert main([*argv, "--witness-quorum", "1"]) == 1
    assert "a quorum of 1 needs at least 1 --witness-key" in capsys.readouterr().err
    assert not (tmp_path / "server.sqlite3").exists()


def test_witness_serve_runs_until_sigterm(tmp_path, capsys):
    key = tmp_path / "witness.key"
    assert main(["witness", "keygen", "--name", "witness.test", "--out", str(key)]) == 0
    capsys.readouterr()
    log = NoteSigner(ORIGIN, bytes(range(1, 33)))
    tree = MerkleTree()
    tree.append_leaf(b"a")
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, tree.root()), log)
    command = [sys.executable, "-m", "bluezone.reference_node.cli", "witness", "serve"]
    command += ["--key", str(key), "--log-key", log.verifier().vkey, "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith(f"witnessing {ORIGIN} at http://127.0.0.1:"), first
        url = first.rsplit(" ", 1)[1].strip()
        assert process.stdout.readline().startswith("witness key: witness.test+")
        status, _, line = asyncio.run(
            http("POST", f"{url}/add-checkpoint", data=bytes(AddCheckpoint(0, (), note)))
        )
        assert status == 200 and line.startswith("— witness.test ".encode())
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out == "stopped witnessing\n"
