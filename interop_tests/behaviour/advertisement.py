"""Behaviour of the advertisement ops: layout, round trips, and hostile advertising data.

Expected bytes come from the layout the spec fixes (ADV-1) and from the adapter's own
encodings; hostile inputs (garbage, truncations, wrong lengths) must all be answered
``invalid_input`` by an adapter that stays alive (ADV-4..ADV-12, IOP-22).
"""

from __future__ import annotations

from bluezone.interop_tests.checks import Context
from bluezone.interop_tests.model import CheckFailed, PreconditionFailed, behaviour

# spec ADV-1: the structures of the advertising data, as hex.
FLAGS = "02011a"
SERVICE_UUID_LIST = "03036ffd"
SERVICE_DATA_HEADER = "17166ffd"
MAX_AD_BYTES = 31


def _encode(ctx: Context, flags: bool) -> tuple[str, str, str]:
    """Random RPI and AEM and the adapter's encoding of them."""
    rpi, aem = ctx.random_bytes(16), ctx.random_bytes(4)
    ad = ctx.result("advertisement_encode", {"rpi": rpi, "aem": aem, "flags": flags})["ad"]
    return rpi, aem, ad


def _own_encoding(ctx: Context, flags: bool) -> tuple[str, str, str]:
    """Like _encode, for a test that builds on the encoding (a bad one is a precondition)."""
    rpi, aem = ctx.random_bytes(16), ctx.random_bytes(4)
    params = {"rpi": rpi, "aem": aem, "flags": flags}
    return rpi, aem, ctx.prerequisite("advertisement_encode", params)["ad"]


def _expect_decoded(ctx: Context, ad: str, rpi: str, aem: str, why: str) -> None:
    ctx.expect_equal("advertisement_decode", {"ad": ad}, {"rpi": rpi, "aem": aem}, why)


def _expect_rejected(ctx: Context, ad: str, why: str) -> None:
    ctx.expect_error("advertisement_decode", {"ad": ad}, why)


def _expect_alive(ctx: Context) -> None:
    """A known-good decode after hostile input: the adapter must still answer correctly."""
    rpi, aem = ctx.random_bytes(16), ctx.random_bytes(4)
    ad = FLAGS + SERVICE_UUID_LIST + SERVICE_DATA_HEADER + rpi + aem
    _expect_decoded(ctx, ad, rpi, aem, "a valid advertisement after hostile ones")


@behaviour("advertisement/encode-layout", ("ADV-1",), ("advertisement_encode",), "31 and 28 bytes")
def encode_layout(ctx: Context) -> None:
    for flags in (True, False):
        rpi, aem, ad = _encode(ctx, flags)
        expected = (FLAGS if flags else "") + SERVICE_UUID_LIST + SERVICE_DATA_HEADER + rpi + aem
        if ad != expected:
            raise CheckFailed(
                f"the {'31' if flags else '28'}-byte advertising data must follow ADV-1",
                {"op": "advertisement_encode", "params": {"rpi": rpi, "aem": aem, "flags": flags}},
                {"ad": expected},
                {"ad": ad},
            )


@behaviour(
    "advertisement/round-trip",
    ("ADV-1", "ADV-9", "ADV-10", "ADV-11"),
    ("advertisement_encode", "advertisement_decode"),
    "the decoder reads back the encoder's output, in both forms",
)
def round_trip(ctx: Context) -> None:
    for flags in (True, False, True, False):
        rpi, aem, ad = _encode(ctx, flags)
        _expect_decoded(ctx, ad, rpi, aem, "decoding the adapter's own encoding")


@behaviour(
    "advertisement/zero-padding",
    ("ADV-6",),
    ("advertisement_encode", "advertisement_decode"),
    "zero octets after the structures are padding, up to 31 bytes",
)
def zero_padding(ctx: Context) -> None:
    rpi, aem, ad = _own_encoding(ctx, flags=False)
    for pad in (1, 3):
        _expect_decoded(ctx, ad + "00" * pad, rpi, aem, f"{pad} zero octets after 28 bytes")


@behaviour(
    "advertisement/nonzero-padding",
    ("ADV-6",),
    ("advertisement_encode", "advertisement_decode"),
    "a non-zero octet after the zero length octet",
)
def nonzero_padding(ctx: Context) -> None:
    _, _, ad = _own_encoding(ctx, flags=False)
    _expect_rejected(ctx, ad + "00ff00", "octets after a zero length octet must be zero")
    _expect_rejected(ctx, ad + "0001", "octets after a zero length octet must be zero")


@behaviour(
    "advertisement/service-data-length",
    ("ADV-11",),
    ("advertisement_encode", "advertisement_decode"),
    "service data of 19 or 21 octets after the UUID",
)
def service_data_length(ctx: Context) -> None:
    _, _, ad = _own_encoding(ctx, flags=False)
    head, body = ad[: -2 * 24], ad[-2 * 20 :]
    if head != SERVICE_UUID_LIST:
        raise PreconditionFailed(f"the 28-byte encoding does not start with {SERVICE_UUID_LIST}")
    _expect_rejected(ctx, head + "18166ffd" + body + "00", "21 octets of service data")
    _expect_rejected(ctx, head + "16166ffd" + body[:-2], "19 octets of service data")
    _expect_rejected(ctx, head + "19166ffd" + body + "0000", "22 octets of service data")


@behaviour(
    "advertisement/other-structures",
    ("ADV-12",),
    ("advertisement_encode", "advertisement_decode"),
    "AD structures of other types are ignored",
)
def other_structures(ctx: Context) -> None:
    rpi, aem, ad = _own_encoding(ctx, flags=False)
    # TX Power Level (type 0x0a) before and after the structures the decoder reads.
    _expect_decoded(ctx, "020a08" + ad, rpi, aem, "a TX Power Level structure first")
    _expect_decoded(ctx, ad + "020a08", rpi, aem, "a TX Power Level structure last")


@behaviour(
    "advertisement/too-long",
    ("ADV-4",),
    ("advertisement_encode", "advertisement_decode"),
    "more than 31 octets, even of zero padding",
)
def too_long(ctx: Context) -> None:
    _, _, ad = _own_encoding(ctx, flags=True)
    _expect_rejected(ctx, ad + "00", "32 octets of advertising data")
    _expect_rejected(ctx, ad + "020a08", "34 octets of advertising data")


@behaviour(
    "advertisement/truncated",
    ("ADV-5", "ADV-9", "ADV-10", "ADV-11"),
    ("advertisement_encode", "advertisement_decode"),
    "every proper prefix of a valid advertisement is rejected, and the adapter lives on",
)
def truncated(ctx: Context) -> None:
    _, _, ad = _own_encoding(ctx, flags=True)
    for length in range(len(ad) // 2):
        _expect_rejected(ctx, ad[: 2 * length], f"the first {length} octets of an advertisement")
    _expect_alive(ctx)


@behaviour(
    "advertisement/garbage",
    ("ADV-4", "ADV-5", "ADV-6", "ADV-9", "ADV-10", "ADV-11", "IOP-22"),
    ("advertisement_decode",),
    "random octet strings are answered invalid_input, never a crash or a hang",
)
def garbage(ctx: Context) -> None:
    rng = ctx.rng
    samples = [bytes(rng.randrange(256) for _ in range(rng.randrange(41))) for _ in range(96)]
    # Structure-shaped garbage: plausible length octets with random types and contents,
    # including zero lengths, which naive parsers loop on.
    for _ in range(32):
        out = bytearray()
        while len(out) < MAX_AD_BYTES:
            size = rng.choice((0, 1, 2, 3, 4, 0x17, 0x18, rng.randrange(256)))
            out += bytes([size, rng.choice((0x01, 0x03, 0x16, 0xFF))])
            out += bytes(rng.randrange(256) for _ in range(max(0, size - 1)))
        samples.append(bytes(out[: rng.randrange(MAX_AD_BYTES + 4)]))
    for sample in samples:
        _expect_rejected(ctx, sample.hex(), "random octets are no advertisement")
    _expect_alive(ctx)


TESTS = (
    encode_layout,
    round_trip,
    zero_padding,
    nonzero_padding,
    service_data_length,
    other_structures,
    too_long,
    truncated,
    garbage,
)
