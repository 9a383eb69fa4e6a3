"""Staff accounts of the portal: password hashing and policy (PORTAL-3), TOTP (PORTAL-4, PORTAL-14).

Pure functions: no clock, no randomness of their own (time and a random-bytes source come in
as arguments), no storage. The sign-in flow that uses them (lockout, replay refusal through
``Storage.use_totp_step``) lives in the web layer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from typing import NoReturn
from urllib.parse import quote

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

from bluezone.reference_node.server.errors import WeakPasswordError

RandomBytes = Callable[[int], bytes]

# PORTAL-3: Argon2id with libsodium's MODERATE limits (3 passes, 256 MiB).
PASSWORD_OPSLIMIT = argon2id.OPSLIMIT_MODERATE
PASSWORD_MEMLIMIT = argon2id.MEMLIMIT_MODERATE
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 128
PASSWORD_MIN_DISTINCT = 5
# A username shorter than this would forbid too many passwords to be a useful check.
USERNAME_CHECK_MIN_CHARS = 3
# The ``reason`` keys of WeakPasswordError, in check order; the web layer translates each.
WEAK_PASSWORD_REASONS = ("too_short", "too_long", "too_few_distinct", "contains_username", "common")

# PORTAL-14: RFC 6238 TOTP with HMAC-SHA1, T0 = 0, 30-second steps, 6 digits, ±1 step.
TOTP_STEP_S = 30
TOTP_DIGITS = 6
TOTP_WINDOW_STEPS = 1
TOTP_SECRET_BYTES = 20  # RFC 4226 section 4 R6: 160 bits, the HMAC-SHA1 output size
_MAX_STEP = 2**64 - 1  # the HOTP counter is 8 bytes

# What verify_password accepts as a stored hash: the PHC string libsodium writes, with cost
# parameters no larger than ours, so a tampered row cannot make a sign-in run for minutes.
_STORED_HASH = re.compile(
    rb"\$argon2id\$v=19\$m=([0-9]{1,10}),t=([0-9]{1,10}),p=1"
    rb"\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,86}"
)

# The idea, from NIST SP 800-63B section 5.1.1.2: refuse passwords that appear in lists of
# commonly used or breached passwords. These are typical long entries of such published lists
# (keyboard walks, digit runs, "password"/"welcome"/"admin" with digits), plus words of this
# service and of Vietnamese ("matkhau" = password, "anhyeuem" = I love you), lowercased,
# 12 characters or more (shorter ones already fail the length rule). Written for this
# project, not copied from a list file.
COMMON_PASSWORDS: tuple[str, ...] = (
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789012345",
    "1234567890123456",
    "123456789123",
    "123456789123456789",
    "987654321098",
    "098765432109",
    "1234567890qwerty",
    "123123123123",
    "123412341234",
    "112233445566",
    "111222333444",
    "159753159753",
    "147258369147",
    "789456123789",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "1q2w3e4r5t6y7u8i",
    "q1w2e3r4t5y6",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "1qaz@wsx3edc",
    "1qaz!qaz2wsx@wsx",
    "zaq12wsxcde3",
    "zaq1zaq1zaq1",
    "qazwsxedcrfv",
    "qazwsxedcrfvtgb",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertyuiopasdf",
    "qwertyuiopasdfghjkl",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwerty123456",
    "qwerty1234567",
    "qwerty123456789",
    "qwerty@123456",
    "qwerty123456!",
    "123456qwerty",
    "qwertyqwerty",
    "qwer1234asdf",
    "1234qwerasdf",
    "1234qwerasdfzxcv",
    "asdfghjkl123",
    "asdfghjkl1234",
    "asdfasdfasdf",
    "zxcvbnm123456",
    "zxcvbnm@12345",
    "abc123456789",
    "abc@123456789",
    "abcd12345678",
    "abcd@1234567",
    "aa1234567890",
    "aa123456789!",
    "abcdefghijkl",
    "abcdefghijklmnop",
    "abcdefghijklmnopqrstuvwxyz",
    "passwordpassword",
    "password1234",
    "password12345",
    "password123456",
    "password123!",
    "password@123",
    "password@1234",
    "passw0rd1234",
    "passw0rd@123",
    "p@ssw0rd1234",
    "p@ssw0rd123!",
    "p@ssword1234",
    "p@55w0rd1234",
    "mypassword123",
    "mypassword1234",
    "secretpassword",
    "supersecret123",
    "changeme1234",
    "changeme123!",
    "welcome12345",
    "welcome123456",
    "welcome@1234",
    "letmein12345",
    "letmeinletmein",
    "administrator",
    "administrator1",
    "admin1234567",
    "admin123456789",
    "admin@123456",
    "iloveyou1234",
    "iloveyou12345",
    "iloveyouiloveyou",
    "football1234",
    "baseball1234",
    "superman1234",
    "princess1234",
    "sunshine1234",
    "starwars1234",
    "monkey123456",
    "dragon123456",
    "whatever1234",
    "correcthorsebatterystaple",
    "thequickbrownfox",
    "thequickbrownfoxjumpsoverthelazydog",
    "matkhau123456",
    "matkhaucuatoi",
    "anhyeuem123456",
    "emyeuanh123456",
    "vietnam123456",
    "vietnamvodich",
    "bluezone1234",
    "bluezone123456",
    "bluezone@123",
)
_COMMON = frozenset(COMMON_PASSWORDS)


def _normalized(password: str) -> str:
    """The password as policy and hash see it: Unicode NFKC (NIST SP 800-63B 5.1.1.2).

    Vietnamese text typed on different systems arrives precomposed or decomposed; both must
    give the same hash.
    """
    return unicodedata.normalize("NFKC", password)


def _password_bytes(password: str) -> bytes:
    # surrogatepass: a lone surrogate from a badly decoded form still hashes, never raises.
    return _normalized(password).encode("utf-8", "surrogatepass")


def hash_password(password: str) -> bytes:
    """Hash a password with Argon2id, MODERATE limits, a fresh salt (spec PORTAL-3).

    Returns libsodium's ASCII PHC string (``$argon2id$v=19$m=262144,t=3,p=1$salt$hash``).
    Takes about half a second and 256 MiB: the caller runs it in a thread
    (``asyncio.to_thread``), never on the event loop. Check the policy first.
    """
    return argon2id.str(
        _password_bytes(password), opslimit=PASSWORD_OPSLIMIT, memlimit=PASSWORD_MEMLIMIT
    )


def verify_password(hash: bytes, password: str) -> bool:
    """Whether ``password`` matches a stored ``hash_password`` result (spec PORTAL-3).

    Never raises: a wrong password, a malformed or foreign stored hash, or one with cost
    parameters above ours all give False. As slow as hashing: run it in a thread.
    """
    match = _STORED_HASH.fullmatch(hash)
    if match is None:
        return False
    memory_kib, passes = int(match[1]), int(match[2])
    if memory_kib * 1024 > PASSWORD_MEMLIMIT or passes > PASSWORD_OPSLIMIT:
        return False
    try:
        return argon2id.verify(hash, _password_bytes(password))
    except nacl.exceptions.CryptoError:
        return False


def check_password_policy(password: str, username: str) -> None:
    """Raise WeakPasswordError when a new password breaks the policy (spec PORTAL-3).

    Checked in this order on the NFKC form, counting characters (code points): at least 12,
    at most 128, at least 5 distinct, not containing the username (case-insensitive; usernames
    of 3 characters or more), not in COMMON_PASSWORDS (case-insensitive). The error's
    ``reason`` names the first rule broken.
    """
    text = _normalized(password)
    folded = text.casefold()
    name = _normalized(username).casefold()
    if len(text) < PASSWORD_MIN_CHARS:
        _weak("too_short", f"fewer than {PASSWORD_MIN_CHARS} characters")
    if len(text) > PASSWORD_MAX_CHARS:
        _weak("too_long", f"more than {PASSWORD_MAX_CHARS} characters")
    if len(set(text)) < PASSWORD_MIN_DISTINCT:
        _weak("too_few_distinct", f"fewer than {PASSWORD_MIN_DISTINCT} distinct characters")
    if len(name) >= USERNAME_CHECK_MIN_CHARS and name in folded:
        _weak("contains_username", "it contains the username")
    if folded in _COMMON:
        _weak("common", "it is one of the most common passwords")


def _weak(reason: str, why: str) -> NoReturn:
    raise WeakPasswordError(f"password refused by the policy (PORTAL-3): {why}", reason)


def new_totp_secret(random_bytes: RandomBytes) -> bytes:
    """A fresh 20-byte TOTP secret drawn from ``random_bytes`` (spec PORTAL-14).

    ``random_bytes`` is a CSPRNG such as ``secrets.token_bytes``.
    """
    secret = random_bytes(TOTP_SECRET_BYTES)
    if len(secret) != TOTP_SECRET_BYTES:
        raise ValueError(f"random_bytes gave {len(secret)} bytes, not {TOTP_SECRET_BYTES}")
    return secret


def totp_step(now_s: int) -> int:
    """The RFC 6238 time step of unix time ``now_s``: floor(now_s / 30), T0 = 0 (PORTAL-14)."""
    return now_s // TOTP_STEP_S


def totp_at(secret: bytes, step: int, digits: int = TOTP_DIGITS) -> str:
    """The TOTP code of ``step``: RFC 4226 HOTP with HMAC-SHA1 and the step as counter.

    Spec PORTAL-14 uses 6 digits; ``digits`` exists for RFC 6238's published 8-digit
    vectors. ``step`` must lie in [0, 2**64) (ValueError otherwise).
    """
    if not 0 <= step <= _MAX_STEP:
        raise ValueError(f"TOTP step out of range: {step}")
    mac = hmac.digest(secret, step.to_bytes(8, "big"), hashlib.sha1)
    offset = mac[-1] & 0x0F  # RFC 4226 section 5.3, dynamic truncation
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFF_FFFF
    return str(value % 10**digits).zfill(digits)


def totp_match(secret: bytes, code: str, now_s: int) -> int | None:
    """The step whose code ``code`` is, among now's step and one either side, else None.

    Spec PORTAL-4, PORTAL-14. Spaces in ``code`` are ignored (authenticator apps show
    "123 456"); what remains must be exactly 6 ASCII digits. The earliest matching step
    wins. The caller accepts the code only if ``Storage.use_totp_step`` accepts the step,
    which refuses a step already used. Never raises, whatever ``code`` holds.
    """
    typed = code.replace(" ", "")
    if len(typed) != TOTP_DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    now = totp_step(now_s)
    for step in range(now - TOTP_WINDOW_STEPS, now + TOTP_WINDOW_STEPS + 1):
        if 0 <= step <= _MAX_STEP and hmac.compare_digest(
            totp_at(secret, step).encode(), typed.encode()
        ):
            return step
    return None


def base32(secret: bytes) -> str:
    """The secret in RFC 4648 base32, no padding, in groups of 4 for typing: "JBSW Y3DP ..."."""
    text = base64.b32encode(secret).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_uri(secret: bytes, username: str, issuer: str) -> str:
    """The Key URI an authenticator app reads from a QR code (spec PORTAL-14).

    ``otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30``,
    issuer and username percent-encoded (UTF-8, a colon in them too), the secret in unpadded
    base32 (Google Authenticator's Key Uri Format).
    """
    label = f"{quote(issuer, safe='')}:{quote(username, safe='')}"
    secret_text = base32(secret).replace(" ", "")
    return (
        f"otpauth://totp/{label}?secret={secret_text}&issuer={quote(issuer, safe='')}"
        f"&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_S}"
    )
