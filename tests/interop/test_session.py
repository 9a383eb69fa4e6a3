"""The harness's session: timeouts, crashes, restarts and out-of-step answers (IOP-4, IOP-18)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.interop_tests.session import AdapterFailure, AdapterSession, Transcript, parse_answer
from bluezone.interop_tests.transport import SubprocessTransport, TcpTransport
from tests.interop.conftest import fake, listening, python_module

TEK = {"tek": "00112233445566778899aabbccddeeff"}
RPI = {**TEK, "interval": 2_650_000}


@contextmanager
def session(command: str, timeout: float = 1.0) -> Iterator[AdapterSession]:
    adapter = AdapterSession(SubprocessTransport(command), timeout, 30.0, Transcript())
    try:
        yield adapter
    finally:
        adapter.close()


def test_a_hang_is_a_timeout_and_a_restart_recovers():
    with session(fake("hang-on-rpi"), timeout=1.0) as adapter:
        adapter.start()
        started = time.monotonic()
        with pytest.raises(AdapterFailure) as failure:
            adapter.call("rpi", RPI)
        assert failure.value.kind == "timeout"
        assert time.monotonic() - started < 5
        assert adapter.broken
        adapter.restart()
        assert not adapter.broken
        assert adapter.call("derive_keys", TEK).result is not None


def test_an_exit_is_reported_with_status_and_stderr():
    with session(fake("exit-on-rpi")) as adapter:
        adapter.start()
        with pytest.raises(AdapterFailure) as failure:
            adapter.call("rpi", RPI)
        assert failure.value.kind == "exited"
        assert "status 3" in failure.value.message
        assert "exiting on purpose" in failure.value.message
        adapter.restart()
        assert adapter.call("derive_keys", TEK).result is not None


def test_an_answer_with_the_wrong_id_is_out_of_step():
    with session(fake("wrong-id")) as adapter:
        adapter.start()
        with pytest.raises(AdapterFailure) as failure:
            adapter.call("rpi", RPI)
        assert failure.value.kind == "out_of_order"
        assert adapter.broken


def test_a_stale_extra_answer_is_caught_on_the_next_request():
    with session(fake("double-answer")) as adapter:
        adapter.start()
        assert adapter.call("rpi", RPI).result is not None
        with pytest.raises(AdapterFailure) as failure:
            adapter.call("derive_keys", TEK)
        assert failure.value.kind == "out_of_order"


def test_a_line_that_is_not_json_is_malformed():
    with session(fake("not-json")) as adapter:
        adapter.start()
        with pytest.raises(AdapterFailure) as failure:
            adapter.call("rpi", RPI)
        assert failure.value.kind == "malformed"
        assert failure.value.actual == "this is not json"


def test_an_adapter_that_exits_at_once_fails_the_handshake():
    with session(fake("no-hello")) as adapter, pytest.raises(AdapterFailure) as failure:
        adapter.start()
    assert failure.value.kind == "exited"


def test_a_command_that_does_not_exist_fails_to_start():
    with session("no-such-adapter-command-here") as adapter, pytest.raises(AdapterFailure) as f:
        adapter.start()
    assert f.value.kind == "start"


def test_tcp_reconnects_after_a_hang():
    argv = python_module("tests.interop.fake_adapter", "hang-once-on-rpi").replace('"', "").split()
    with listening(argv) as port:
        adapter = AdapterSession(TcpTransport("127.0.0.1", port), 1.0, 10.0, Transcript())
        try:
            adapter.start()
            with pytest.raises(AdapterFailure) as failure:
                adapter.call("rpi", RPI)
            assert failure.value.kind == "timeout"
            adapter.restart()
            assert adapter.call("rpi", RPI).result is not None
        finally:
            adapter.close()


def test_answers_must_have_exactly_one_of_result_and_error():
    good = parse_answer(b'{"id": 1, "result": {}}')
    assert good.result == {} and good.error is None
    for line in (
        b'{"id": 1}',
        b'{"id": 1, "result": {}, "error": {"code": "internal"}}',
        b'{"id": 1, "error": {"code": "not_a_code"}}',
        b'{"id": 1, "result": [1]}',
        b'{"result": {}}',
        b"[]",
    ):
        with pytest.raises(AdapterFailure):
            parse_answer(line)


@settings(deadline=None)
@given(st.binary(max_size=100))
def test_parsing_any_answer_line_raises_only_adapter_failure(line: bytes):
    with suppress(AdapterFailure):
        answer = parse_answer(line)
        assert (answer.result is None) != (answer.error is None)
