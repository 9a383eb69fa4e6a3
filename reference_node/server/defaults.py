"""The defaults of the key server's settings, importable without the server extra.

The command line shows them in its help, so they live apart from the aiohttp code.
"""

from __future__ import annotations

from bluezone.protocol.params import RETENTION_DAYS
from bluezone.reference_node.server.ratelimit import Rate

# spec SRV-14: default rate limits.
DEFAULT_HA_RATE = Rate(per_minute=600, burst=100)
DEFAULT_CLIENT_RATE = Rate(per_minute=30, burst=10)
# spec SRV-10: the export key ID of tests and tutorials, never of a deployment.
DEFAULT_EXPORT_KEY_ID = "bluezone"
# spec OPS-1, OPS-2: read deadlines in seconds and the connection cap.
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 4096
# spec SRV-27: published keys and batch files are kept 14 days (KS-11) plus one day of margin
# (the index lists batches of the last 15 days, SRV-12), then deleted.
DEFAULT_RETENTION_DAYS = RETENTION_DAYS + 1
# spec PORTAL-10: codes an authority may issue in one UTC day (API and portal together), and
# what one staff account may issue: single codes, and codes from bulk files.
DEFAULT_DAILY_CODE_QUOTA = 10_000
DEFAULT_STAFF_CODE_RATE = Rate(per_minute=0.5, burst=10)
DEFAULT_STAFF_BULK_RATE = Rate(per_minute=1000 / 1440, burst=1000)
# spec PORTAL-4, PORTAL-5: sign-in failures before a lockout, its length, session lifetimes.
DEFAULT_MAX_LOGIN_FAILURES = 5
DEFAULT_LOCKOUT_S = 15 * 60
DEFAULT_SESSION_IDLE_S = 20 * 60
DEFAULT_SESSION_MAX_S = 12 * 3600
