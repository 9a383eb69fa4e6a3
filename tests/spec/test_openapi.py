"""The OpenAPI document matches the server's routes and the spec's error names (SRV-1, SRV-15)."""

from __future__ import annotations

import re
from pathlib import Path

from bluezone.reference_node.server import errors
from bluezone.reference_node.server.app import KeyServer

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = (ROOT / "spec" / "04-key-server.openapi.yaml").read_text()
SPEC = (ROOT / "spec" / "04-key-server.md").read_text()


def _documented_operations() -> set[tuple[str, str]]:
    operations, path = set(), None
    for line in OPENAPI.splitlines():
        match = re.match(r"^  (/v1/\S+):$", line)
        if match:
            path = match.group(1)
        elif path and re.match(r"^    (get|post):$", line):
            operations.add((line.strip()[:-1].upper(), path))
        elif not line.startswith("  "):
            path = None
    return operations


def _served_operations() -> set[tuple[str, str]]:
    server = KeyServer.__new__(KeyServer)  # routes only: no storage needed
    served = set()
    for route in KeyServer.build_app(server).router.routes():
        if route.method in ("GET", "POST"):
            path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.resource.canonical)
            served.add((route.method, path))
    return served


def test_openapi_lists_every_route_and_no_other():
    assert _documented_operations() == _served_operations()


def _table_codes() -> set[str]:
    section = SPEC[SPEC.index('<a id="SRV-15">') :]
    return set(re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", section, re.M))


def test_error_names_agree_between_code_spec_and_openapi():
    server_codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.ServerError) and cls.status < 600
    } - {"server_error", "server_config", "storage_schema_too_new"}  # never an HTTP answer
    table = _table_codes()
    assert server_codes <= table
    enum = set(re.findall(r"^            - ([a-z_]+)$", OPENAPI, re.M))
    library_or_portal = {"invalid_code", "invalid_hmac", "quota_exceeded", "staff_exists"}
    assert (table - library_or_portal) <= enum
