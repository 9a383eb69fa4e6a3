"""Accounts made outside the portal: the first administrator, from the command line (PORTAL-2)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable

from bluezone.reference_node.server.errors import InvalidRequestError
from bluezone.reference_node.server.portal import accounts
from bluezone.reference_node.server.storage.base import Storage

# spec PORTAL-2: account names are plain lower-case ASCII, so no two look alike.
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def check_username(username: str) -> str:
    """Return ``username`` if it follows PORTAL-2, else raise InvalidRequestError."""
    if not USERNAME.match(username):
        raise InvalidRequestError(
            "PORTAL-2: a user name is 3 to 64 lower-case letters, digits, '.', '-' or '_'"
        )
    return username


async def add_admin(
    storage: Storage,
    username: str,
    password: str,
    now_s: int,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> bytes:
    """Create an administrator with its TOTP secret enrolled; return the secret (PORTAL-2).

    Raises InvalidRequestError for a bad user name, WeakPasswordError for a password the
    policy refuses (PORTAL-3) and StaffExistsError when the name is taken.
    """
    check_username(username)
    accounts.check_password_policy(password, username)
    hashed = await asyncio.to_thread(accounts.hash_password, password)
    secret = accounts.new_totp_secret(random_bytes)
    await storage.add_staff(username, "admin", hashed, secret, now_s, False)
    await storage.add_audit(now_s, "-", "admin_created", username)
    return secret
