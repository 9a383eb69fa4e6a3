"""The Python adapter framing: every line gets exactly one well-formed answer (IOP-4..IOP-8)."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.interop_tests.adapter_kit import (
    Adapter,
    AdapterInputError,
    answer_line,
    hex_param,
    int_param,
    serve_stream,
)

ERROR_CODES = {"invalid_input", "unsupported", "internal"}


class LibraryError(ValueError):
    code = "some_rule"


def _echo(params: dict) -> dict:
    return {"tek": hex_param(params, "tek").hex(), "n": int_param(params, "n")}


def _library_rejects(params: dict) -> dict:
    raise LibraryError("rule broken")


def _bug(params: dict) -> dict:
    raise ZeroDivisionError("oops")


ADAPTER = Adapter(
    "kit-test",
    "1",
    {"echo": _echo, "rejects": _library_rejects, "bug": _bug},
    input_errors=(LibraryError,),
    detail=lambda exc: getattr(exc, "code", None),
)


def answer(line: bytes) -> dict:
    return answer_line(line, ADAPTER)


def test_hello_lists_the_ops():
    reply = answer(b'{"id": 1, "op": "hello", "params": {}}')
    assert reply == {
        "id": 1,
        "result": {
            "implementation": "kit-test",
            "version": "1",
            "ops": ["bug", "echo", "hello", "rejects"],
        },
    }


def test_a_result_echoes_the_id():
    reply = answer(b'{"id": 7, "op": "echo", "params": {"tek": "00ff", "n": 3}}')
    assert reply == {"id": 7, "result": {"tek": "00ff", "n": 3}}


def test_unknown_op_is_unsupported():
    reply = answer(b'{"id": 2, "op": "x_probe", "params": {}}')
    assert reply["id"] == 2 and reply["error"]["code"] == "unsupported"


def test_library_errors_are_invalid_input_with_the_spec_name():
    reply = answer(b'{"id": 3, "op": "rejects", "params": {}}')
    assert reply["error"]["code"] == "invalid_input"
    assert reply["error"]["detail"] == "some_rule"


def test_unexpected_exceptions_are_internal():
    reply = answer(b'{"id": 4, "op": "bug", "params": {}}')
    assert reply["error"]["code"] == "internal"


def test_unparseable_lines_get_id_null():
    for line in (b"", b"{", b"\xff\xfe", b"[1]", b'{"op": "hello"}', b'{"id": true, "op": "x"}'):
        reply = answer(line)
        assert reply["id"] is None and reply["error"]["code"] == "invalid_input"


def test_a_usable_id_is_kept_when_op_or_params_are_wrong():
    assert answer(b'{"id": 5, "params": {}}')["id"] == 5
    assert answer(b'{"id": 6, "op": "echo", "params": [1]}')["error"]["code"] == "invalid_input"


def test_bad_params_are_invalid_input():
    for params in ({"tek": "0g", "n": 1}, {"tek": "abc", "n": 1}, {"tek": "00", "n": "1"}, {}):
        line = json.dumps({"id": 1, "op": "echo", "params": params}).encode()
        assert answer(line)["error"]["code"] == "invalid_input", params


def test_hex_param_refuses_whitespace_and_prefixes():
    for value in ("00 11", "0x00", " 00", "0"):
        try:
            hex_param({"v": value}, "v")
        except AdapterInputError:
            continue
        raise AssertionError(f"{value!r} was accepted")


def test_serve_stream_answers_every_line_in_order():
    lines = b'{"id": 1, "op": "hello"}\nnot json\n\n{"id": 2, "op": "nope", "params": {}}\n'
    out = io.BytesIO()
    serve_stream(ADAPTER, io.BytesIO(lines), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["id"] for a in answers] == [1, None, None, 2]


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_any_line_gets_exactly_one_well_formed_answer(line: bytes):
    reply = answer(line.replace(b"\n", b""))
    json.dumps(reply)
    assert set(reply) in ({"id", "result"}, {"id", "error"})
    if "error" in reply:
        assert reply["error"]["code"] in ERROR_CODES


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "op", "params"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.integers())),
    )
)
def test_any_json_object_gets_a_well_formed_answer(request: dict):
    reply = answer(json.dumps(request).encode())
    assert set(reply) in ({"id", "result"}, {"id", "error"})
