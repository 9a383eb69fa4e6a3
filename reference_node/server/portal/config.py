"""The portal's settings (spec PORTAL-1), importable without the server extra."""

from __future__ import annotations

from dataclasses import dataclass

from bluezone.reference_node.server.defaults import (
    DEFAULT_LOCKOUT_S,
    DEFAULT_MAX_LOGIN_FAILURES,
    DEFAULT_SESSION_IDLE_S,
    DEFAULT_SESSION_MAX_S,
    DEFAULT_STAFF_BULK_RATE,
    DEFAULT_STAFF_CODE_RATE,
)
from bluezone.reference_node.server.ratelimit import Rate

# spec PORTAL-7: the link of the text message when the operator names none: it opens the app.
DEFAULT_APP_LINK = "bluezone://verify"


@dataclass(frozen=True, slots=True)
class PortalConfig:
    """The portal is served only when the server's configuration holds one of these.

    ``host``/``port`` None serves it beside the device API on the API's address; otherwise it
    listens on its own address (PORTAL-1). ``secure_cookies`` False is for a portal reached
    over plain HTTP on loopback only (tests, a first look); deployments keep it True.
    """

    host: str | None = None
    port: int | None = None
    authority: str = "Bluezone"
    app_link: str = DEFAULT_APP_LINK
    secure_cookies: bool = True
    default_language: str = "vi"
    # spec PORTAL-7: the authority's time zone for dates and expiry times (Vietnam: UTC+7).
    utc_offset_minutes: int = 420
    staff_code_rate: Rate = DEFAULT_STAFF_CODE_RATE
    staff_bulk_rate: Rate = DEFAULT_STAFF_BULK_RATE
    max_login_failures: int = DEFAULT_MAX_LOGIN_FAILURES
    lockout_s: int = DEFAULT_LOCKOUT_S
    session_idle_s: int = DEFAULT_SESSION_IDLE_S
    session_max_s: int = DEFAULT_SESSION_MAX_S

    @property
    def own_address(self) -> bool:
        """Whether the portal listens apart from the device API."""
        return self.port is not None
