"""Behaviour of the adapter protocol itself: handshake, unknown ops, bad lines, bad params.

These run before grading (the gate tests) or beside it, and judge only the framing rules of
spec/90-interop-adapter.md, never the scheme's cryptography.
"""

from __future__ import annotations

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, behaviour
from bluezone.interop_tests.session import encode_request

# spec IOP-10: ops every adapter must implement.
MANDATORY_OPS = frozenset({"hello", "derive_keys", "rpi"})
# spec IOP-7: op names with this prefix are never defined, so an adapter cannot know them.
PROBE_OP_PREFIX = "x_probe_"

_TEK = "00112233445566778899aabbccddeeff"


@behaviour("adapter/mandatory-ops", ("IOP-10",), ("hello",), "hello lists the mandatory ops")
def mandatory_ops(ctx: Context) -> None:
    missing = sorted(MANDATORY_OPS - ctx.hello.ops)
    if missing:
        raise CheckFailed(
            f"hello does not list the mandatory ops {missing} (IOP-10)",
            {"op": "hello"},
            sorted(MANDATORY_OPS),
            sorted(ctx.hello.ops),
        )


@behaviour("adapter/unknown-op", ("IOP-7",), ("hello",), "an unknown op is answered unsupported")
def unknown_op(ctx: Context) -> None:
    ctx.expect_error(f"{PROBE_OP_PREFIX}unknown_op", {}, "IOP-7", code="unsupported")


def _bad_line_then_hello(ctx: Context, line: bytes, answer_id: int | None) -> None:
    """Send a line the adapter cannot use, then hello, in one write (IOP-6).

    The bad line must earn an ``invalid_input`` answer with ``answer_id`` and the hello
    right after it must carry its own id, and so must a third request: an adapter that
    skips the bad line, answers it twice or dies is caught here, and its answers do not
    shift onto later tests.
    """
    session = ctx.session
    hello_id = session.new_id()
    session.send(line + b"\n" + encode_request(hello_id, "hello", {}))
    shown = line.decode("utf-8", "backslashreplace")
    first = session.receive(answer_id, shown)
    # Read both answers before judging, so a failure leaves no answer unread.
    second = session.receive(hello_id, {"id": hello_id, "op": "hello", "params": {}})
    if first.error_code != "invalid_input":
        raise CheckFailed(
            "a request line the adapter cannot use must be answered invalid_input (IOP-6)",
            shown,
            {"id": answer_id, "error": {"code": "invalid_input"}},
            first.as_json(),
        )
    if second.result is None:
        raise CheckFailed(
            "hello after a bad line must succeed (IOP-6)", None, "result", second.as_json()
        )
    # A third request: an adapter that answered the bad line twice is out of step here.
    ctx.result("hello", {})


@behaviour("adapter/unparseable-json", ("IOP-6",), ("hello",), "truncated JSON, then hello")
def unparseable_json(ctx: Context) -> None:
    _bad_line_then_hello(ctx, b'{"id": 1, "op": "hello", "params": {', None)


@behaviour("adapter/invalid-utf8", ("IOP-2", "IOP-6"), ("hello",), "bytes that are not UTF-8")
def invalid_utf8(ctx: Context) -> None:
    _bad_line_then_hello(ctx, b"\xc3\x28\xff not utf-8", None)


@behaviour("adapter/empty-line", ("IOP-6",), ("hello",), "an empty line is a request too")
def empty_line(ctx: Context) -> None:
    _bad_line_then_hello(ctx, b"", None)


@behaviour("adapter/non-object", ("IOP-3", "IOP-6"), ("hello",), "a JSON array is no request")
def non_object(ctx: Context) -> None:
    _bad_line_then_hello(ctx, b'[1, "hello", {}]', None)


@behaviour("adapter/no-id", ("IOP-3", "IOP-6"), ("hello",), "a request without an id")
def no_id(ctx: Context) -> None:
    _bad_line_then_hello(ctx, b'{"op": "hello", "params": {}}', None)


@behaviour("adapter/missing-op", ("IOP-3", "IOP-6"), ("hello",), "an id but no op")
def missing_op(ctx: Context) -> None:
    request_id = ctx.session.new_id()
    _bad_line_then_hello(ctx, b'{"id": %d, "params": {}}' % request_id, request_id)


@behaviour("adapter/pipelined", ("IOP-4",), ("hello",), "three requests in one write")
def pipelined(ctx: Context) -> None:
    session = ctx.session
    ids = [session.new_id() for _ in range(3)]
    session.send(b"".join(encode_request(i, "hello", {}) for i in ids))
    answers = [session.receive(i, {"id": i, "op": "hello", "params": {}}) for i in ids]
    for answer in answers:
        if answer.result is None:
            raise CheckFailed("hello must succeed", None, "result", answer.as_json())


@behaviour("adapter/bad-hex", ("IOP-8",), ("rpi",), "malformed hex is invalid_input")
def bad_hex(ctx: Context) -> None:
    for tek in ("zz" * 16, _TEK[:-1], "0x" + _TEK[2:], _TEK[:16] + " " + _TEK[17:]):
        ctx.expect_error("rpi", {"tek": tek, "interval": 0}, f"tek {tek!r} is not hex digit pairs")


@behaviour("adapter/missing-param", ("IOP-3", "IOP-12"), ("rpi",), "a missing param")
def missing_param(ctx: Context) -> None:
    ctx.expect_error("rpi", {"tek": _TEK}, "interval is missing")
    ctx.expect_error("rpi", {"interval": 0}, "tek is missing")


@behaviour("adapter/wrong-type-param", ("IOP-9",), ("rpi",), "intervals that are no integers")
def wrong_type_param(ctx: Context) -> None:
    for interval in ("5", 1.5, True, None, [5]):
        ctx.expect_error("rpi", {"tek": _TEK, "interval": interval}, f"interval {interval!r}")


# mandatory_ops and unknown_op are the gate: they run first, whatever --only selects.
GATE = (mandatory_ops, unknown_op)
TESTS = (
    unparseable_json,
    invalid_utf8,
    empty_line,
    non_object,
    no_id,
    missing_op,
    pipelined,
    bad_hex,
    missing_param,
    wrong_type_param,
)
