"""Portal accounts: password hashing and policy (PORTAL-3), TOTP (PORTAL-4, PORTAL-14)."""

from __future__ import annotations

import base64
import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

import nacl.pwhash.argon2id as argon2id
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.reference_node.server.errors import ServerError, WeakPasswordError
from bluezone.reference_node.server.portal import accounts
from bluezone.reference_node.server.portal.accounts import (
    COMMON_PASSWORDS,
    WEAK_PASSWORD_REASONS,
    base32,
    check_password_policy,
    hash_password,
    new_totp_secret,
    otpauth_uri,
    totp_at,
    totp_match,
    totp_step,
    verify_password,
)
from tests.vectorfiles import cases

GOOD = "Đồng hồ cát 7 giờ sáng"
RFC_SECRET = b"12345678901234567890"


# Hashing (PORTAL-3). Each hash costs about half a second and 256 MiB, so one hash serves
# every check of the round trip.


@pytest.fixture(scope="module")
def stored() -> bytes:
    return hash_password(GOOD)


def test_hash_is_argon2id_with_moderate_limits(stored: bytes) -> None:
    # spec PORTAL-3
    assert stored.startswith(b"$argon2id$v=19$m=262144,t=3,p=1$")
    assert verify_password(stored, GOOD)


def test_a_wrong_password_is_refused(stored: bytes) -> None:
    assert not verify_password(stored, GOOD + " ")
    assert not verify_password(stored, "")
    assert not verify_password(stored, GOOD.upper())


def test_precomposed_and_decomposed_forms_verify_alike(stored: bytes) -> None:
    decomposed = unicodedata.normalize("NFD", GOOD)
    assert decomposed != GOOD
    assert verify_password(stored, decomposed)


def test_two_hashes_of_one_password_differ_by_their_salt(stored: bytes) -> None:
    assert hash_password(GOOD) != stored


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"garbage",
        b"$argon2id$",
        b"$argon2id$v=19$m=262144,t=3,p=1$",
        "$argon2id$v=19$m=262144,t=3,p=1$ẞ$ẞ".encode(),
        b"\xff" * 200,
    ],
)
def test_a_garbage_stored_hash_gives_false(garbage: bytes) -> None:
    assert verify_password(garbage, GOOD) is False


def test_a_damaged_stored_hash_gives_false(stored: bytes) -> None:
    assert verify_password(stored[:-4], GOOD) is False
    # libsodium reads a C string: bytes after a NUL would be ignored, so refuse them here.
    assert verify_password(stored + b"\x00", GOOD) is False
    assert verify_password(stored.replace(b"argon2id", b"argon2i"), GOOD) is False


def test_a_stored_hash_costlier_than_ours_is_refused(stored: bytes) -> None:
    # A tampered row must not make a sign-in run for minutes: a genuine hash of the right
    # password with one pass more than ours is refused.
    slower = argon2id.str(
        unicodedata.normalize("NFKC", GOOD).encode(),
        opslimit=accounts.PASSWORD_OPSLIMIT + 1,
        memlimit=accounts.PASSWORD_MEMLIMIT,
    )
    assert argon2id.verify(slower, GOOD.encode())
    assert verify_password(slower, GOOD) is False
    huge = stored.replace(b"m=262144,", b"m=4000000000,")
    assert verify_password(huge, GOOD) is False


@given(st.binary(max_size=200), st.text(max_size=40))
def test_verify_never_raises_on_random_hashes(garbage: bytes, password: str) -> None:
    assert verify_password(garbage, password) is False


# Policy (PORTAL-3).


@pytest.mark.parametrize(
    ("password", "username", "reason"),
    [
        ("", "lan", "too_short"),
        ("Abcdefgh123", "lan", "too_short"),
        ("x" * 129, "lan", "too_long"),
        ("ab" * 65, "lan", "too_long"),
        ("aaaabbbbccccdddd", "lan", "too_few_distinct"),
        ("1212121212121212", "lan", "too_few_distinct"),
        ("my name is nguyen.lan 2026", "Nguyen.Lan", "contains_username"),
        ("NGUYEN.LAN likes tea", "nguyen.lan", "contains_username"),
        ("Password1234", "lan", "common"),
        ("QWERTY123456", "lan", "common"),
        ("matkhau123456", "lan", "common"),
    ],
)
def test_policy_refuses_with_a_reason(password: str, username: str, reason: str) -> None:
    # spec PORTAL-3
    with pytest.raises(WeakPasswordError) as caught:
        check_password_policy(password, username)
    error = caught.value
    assert error.reason == reason
    assert reason in WEAK_PASSWORD_REASONS
    assert isinstance(error, ServerError)
    assert (error.status, error.code) == (400, "weak_password")
    assert "PORTAL-3" in str(error)
    if password:
        assert password not in str(error)


@pytest.mark.parametrize(
    ("password", "username"),
    [
        (GOOD, "lan"),
        ("tra da via he 2026", "lan"),
        ("abcdeabcdeab", "lan"),  # 12 characters, 5 distinct: the minimum
        ("x" * 124 + "abcd", "lan"),  # 128 characters: the maximum
        ("an ok password, really", "an"),  # usernames under 3 characters are not checked
    ],
)
def test_policy_accepts(password: str, username: str) -> None:
    check_password_policy(password, username)


def test_length_counts_characters_after_normalisation() -> None:
    # 12 characters precomposed are 14 code points decomposed: still 12 after NFKC.
    eleven = "Đồng hồ cát"
    check_password_policy(unicodedata.normalize("NFD", eleven + "!"), "lan")
    with pytest.raises(WeakPasswordError):
        check_password_policy(unicodedata.normalize("NFD", eleven), "lan")


def test_common_list_is_long_lowercase_and_unique() -> None:
    assert len(COMMON_PASSWORDS) >= 100
    assert len(set(COMMON_PASSWORDS)) == len(COMMON_PASSWORDS)
    for password in COMMON_PASSWORDS:
        assert len(password) >= 12, password
        assert password == password.casefold(), password


def test_every_common_password_is_refused() -> None:
    refused = set()
    for password in COMMON_PASSWORDS:
        with pytest.raises(WeakPasswordError) as caught:
            check_password_policy(password, "lan")
        refused.add(caught.value.reason)
    assert "common" in refused


@given(st.text(max_size=200), st.text(max_size=20))
def test_policy_raises_only_weak_password(password: str, username: str) -> None:
    try:
        check_password_policy(password, username)
    except WeakPasswordError as error:
        assert error.reason in WEAK_PASSWORD_REASONS


# TOTP (PORTAL-4, PORTAL-14).


@pytest.mark.parametrize("vector", cases("totp.json", "TotpCode"))
def test_totp_code_vectors(vector: dict) -> None:
    # spec PORTAL-14: RFC 6238 Appendix B (8 digits) and the portal's 6
    inputs = vector["inputs"]
    step = totp_step(inputs["now_s"])
    code = totp_at(bytes.fromhex(inputs["secret"]), step, inputs["digits"])
    assert step == vector["expected"]["step"]
    assert code.encode().hex() == vector["expected"]["code"]


@pytest.mark.parametrize("vector", cases("totp.json", "TotpMatch"))
def test_totp_match_vectors(vector: dict) -> None:
    # spec PORTAL-4, PORTAL-14: a typed code is the code of one step of the window, or refused
    inputs = vector["inputs"]
    code = bytes.fromhex(inputs["code"]).decode()
    step = totp_match(bytes.fromhex(inputs["secret"]), code, inputs["now_s"])
    if vector["result"] == "valid":
        assert step == vector["expected"]["step"]
    else:
        assert vector["expected"]["error"] == "totp_invalid"
        assert step is None


def test_new_secret_is_20_bytes_from_the_source() -> None:
    asked = []

    def source(n: int) -> bytes:
        asked.append(n)
        return bytes(range(n))

    assert new_totp_secret(source) == bytes(range(20))
    assert asked == [20]
    with pytest.raises(ValueError):
        new_totp_secret(lambda n: b"short")


def test_steps_are_30_seconds_from_the_epoch() -> None:
    assert [totp_step(t) for t in (0, 29, 30, 59, 60)] == [0, 0, 1, 1, 2]


def test_step_outside_the_counter_range_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        totp_at(RFC_SECRET, -1)
    with pytest.raises(ValueError):
        totp_at(RFC_SECRET, 2**64)
    assert len(totp_at(RFC_SECRET, 2**64 - 1)) == 6


def test_match_at_the_epoch_skips_the_step_before_zero() -> None:
    # spec PORTAL-14
    assert totp_match(RFC_SECRET, totp_at(RFC_SECRET, 0), 0) == 0
    assert totp_match(RFC_SECRET, totp_at(RFC_SECRET, 1), 0) == 1


def test_a_grouped_code_matches() -> None:
    code = totp_at(RFC_SECRET, 100)
    assert totp_match(RFC_SECRET, f"{code[:3]} {code[3:]}", 3000) == 100


@given(st.text(max_size=20), st.integers(min_value=-(2**70), max_value=2**70))
def test_match_never_raises(code: str, now_s: int) -> None:
    # spec PORTAL-14
    step = totp_match(RFC_SECRET, code, now_s)
    assert step is None or abs(step - totp_step(now_s)) <= 1


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=2**40))
def test_match_finds_the_steps_of_the_window_only(secret: bytes, now_s: int) -> None:
    now = totp_step(now_s)
    for step in (now - 1, now, now + 1):
        if step >= 0:
            matched = totp_match(secret, totp_at(secret, step), now_s)
            assert matched is not None and matched <= step
    far = totp_at(secret, now + 2)
    assert totp_match(secret, far, now_s) in {None, now - 1, now, now + 1}


def _unbase32(text: str) -> bytes:
    compact = text.replace(" ", "")
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


def test_base32_groups_of_four() -> None:
    assert base32(RFC_SECRET) == "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
    assert base32(b"") == ""


@given(st.binary(max_size=64))
def test_base32_round_trip(secret: bytes) -> None:
    text = base32(secret)
    assert _unbase32(text) == secret
    assert all(len(group) <= 4 for group in text.split(" "))
    assert "=" not in text


def test_otpauth_uri_layout() -> None:
    uri = otpauth_uri(RFC_SECRET, "lan.nguyen", "Bluezone HA")
    assert uri == (
        "otpauth://totp/Bluezone%20HA:lan.nguyen?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=Bluezone%20HA&algorithm=SHA1&digits=6&period=30"
    )


@given(st.binary(min_size=1, max_size=40), st.text(min_size=1), st.text(min_size=1))
def test_otpauth_uri_round_trip(secret: bytes, username: str, issuer: str) -> None:
    uri = otpauth_uri(secret, username, issuer)
    assert uri.isascii()
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    label_issuer, _, label_user = parts.path.removeprefix("/").partition(":")
    assert unquote(label_issuer) == issuer
    assert unquote(label_user) == username
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["issuer"] == [issuer]
    assert _unbase32(query["secret"][0]) == secret
    assert (query["algorithm"], query["digits"], query["period"]) == (["SHA1"], ["6"], ["30"])


def test_constants_are_the_rules() -> None:
    # spec PORTAL-14
    assert (accounts.TOTP_STEP_S, accounts.TOTP_DIGITS, accounts.TOTP_WINDOW_STEPS) == (30, 6, 1)
