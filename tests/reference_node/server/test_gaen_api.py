"""The GAEN-compatible API (spec GAPI-1..GAPI-13) driven by a GAEN-style client.

``GaenApp`` is written from the request and answer examples of Google's verification-server
API documentation (docs/api.md) and key-server API (pkg/api/v1/exposure_types.go,
pkg/verification/utils.go): plain dicts over aiohttp, no import of the server's code. Only
the health authority's side (issuing codes at /v1/ha/codes) and the batch trigger use ours.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import io
import json
import os
import random
import zipfile

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from bluezone.protocol.export import ExportFile, ExportVerificationKey
from bluezone.reference_node.server.gaen import GaenConfig

from .conftest import (
    Clock,
    config_for,
    fresh_postgres_database,
    ha_headers,
    past_keys,
    run,
    running,
)

APP_KEY = "device-app-key-0123456789abcdef"
HA_ID = "bz.test.ha"
GAEN = GaenConfig(
    api_keys=(APP_KEY,),
    health_authority_id=HA_ID,
    issuer="bluezone.test/verify",
    audience="bluezone.test/publish",
)


class GaenApp:
    """A GAEN app's server calls, from the GAEN documentation only."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.session = session

    async def post(self, path: str, body: dict, api_key: str | None = APP_KEY) -> tuple[int, dict]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        if api_key is not None:
            headers["x-api-key"] = api_key
        async with self.session.post(self.base + path, data=json.dumps(body), headers=headers) as r:
            return r.status, await r.json()

    async def verify(self, code: str, accept: list[str] | None = None) -> tuple[int, dict]:
        body = {"code": code, "padding": base64.b64encode(os.urandom(300)).decode()}
        if accept is not None:
            body["accept"] = accept
        return await self.post("/api/verify", body)

    async def certificate(self, token: str, ekeyhmac: str) -> tuple[int, dict]:
        body = {"token": token, "ekeyhmac": ekeyhmac, "padding": "cGFkZGluZw=="}
        return await self.post("/api/certificate", body)

    async def publish(self, keys: list[dict], certificate: str, secret: bytes, **extra):
        body = {
            "temporaryExposureKeys": keys,
            "healthAuthorityID": HA_ID,
            "verificationPayload": certificate,
            "hmacKey": base64.b64encode(secret).decode(),
            "traveler": False,
            "revisionToken": "",
            "padding": base64.b64encode(os.urandom(1024)).decode(),
            **extra,
        }
        return await self.post("/gaen/v1/publish", body)

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.session.get(self.base + path) as r:
            return r.status, await r.read()


def tek_hmac(secret: bytes, keys: list[dict], with_risk: bool = True) -> str:
    """GAEN's HMAC: sorted "key.rollingStartNumber.rollingPeriod[.transmissionRisk]", joined ","."""
    items = []
    for k in sorted(keys, key=lambda k: k["key"]):
        item = f"{k['key']}.{k['rollingStartNumber']}.{k['rollingPeriod']}"
        items.append(f"{item}.{k.get('transmissionRisk', 0)}" if with_risk else item)
    mac = hmac.new(secret, ",".join(items).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def gaen_keys(rng: random.Random, now_s: float, days: int = 3, risk: int = 0) -> list[dict]:
    return [
        {
            "key": base64.b64encode(k.key_data).decode(),
            "rollingStartNumber": k.rolling_start,
            "rollingPeriod": k.rolling_period,
            "transmissionRisk": risk,
        }
        for k in past_keys(rng, now_s, days)
    ]


async def issue(base: str, session: aiohttp.ClientSession, **fields) -> str:
    """The health authority issues a code with our own API (SRV-3, SRV-20)."""
    async with session.post(base + "/v1/ha/codes", json=fields, headers=ha_headers()) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["code"]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request):
    """None for SQLite in the data directory, or the DSN of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return lambda: _none()
    dsn = request.getfixturevalue("postgres_dsn")
    return lambda: fresh_postgres_database(dsn)


async def _none() -> None:
    return None


def _config(tmp_path, database_url=None, **gaen):
    return config_for(tmp_path, database=database_url, gaen=dataclasses.replace(GAEN, **gaen))


async def _certificate(app: GaenApp, base: str, session, keys, secret, **code) -> str:
    status, verified = await app.verify(await issue(base, session, **code), ["negative"])
    assert status == 200, verified
    status, answer = await app.certificate(verified["token"], tek_hmac(secret, keys))
    assert status == 200, answer
    return answer["certificate"]


def test_the_whole_gaen_flow_verify_certificate_publish_revise_download(tmp_path, database):
    """A GAEN app's full flow finds its keys in a signed batch listed by index.txt."""
    clock, rng = Clock(), random.Random(16)

    async def body():
        config = _config(tmp_path, await database())
        async with running(config, clock) as server, aiohttp.ClientSession() as session:
            app, base = GaenApp(server.url, session), server.url
            keys = gaen_keys(rng, clock.now, risk=4)
            secret = os.urandom(32)
            onset = past_keys(rng, clock.now, 2)[-1].rolling_start
            code = await issue(base, session, report_type=2, onset_interval=onset)
            status, verified = await app.verify(code, ["confirmed", "likely"])
            assert status == 200
            assert verified["testtype"] == "likely"
            assert len(verified["symptomDate"]) == 10 and verified["padding"]
            status, cert = await app.certificate(verified["token"], tek_hmac(secret, keys))
            assert status == 200 and cert["certificate"].count(".") == 2
            status, published = await app.publish(keys, cert["certificate"], secret)
            assert status == 200, published
            assert published["insertedExposures"] == 3 and "code" not in published
            revision_token = published["revisionToken"]
            # GAPI-11: the test came back positive: a revision code turns "likely" into
            # "confirmed" for the same keys, with the revision token of the first publish.
            certificate = await _certificate(
                app, base, session, keys, secret, report_type=1, revision=True
            )
            status, revised = await app.publish(
                keys, certificate, secret, revisionToken=revision_token
            )
            assert status == 200, revised
            assert revised["insertedExposures"] == 3
            await server.publisher.publish_once()
            status, index = await app.get("/v1/batches/index.txt")
            assert status == 200
            found = {}
            for line in index.decode().split("\n"):
                if line:
                    status, archive = await app.get("/" + line)
                    assert status == 200
                    found[line] = archive
            status, published_keys = await app.get("/v1/keys")
            return keys, found, json.loads(published_keys)

    keys, archives, server_keys = run(body())
    export = server_keys["export_key"]
    trusted = ExportVerificationKey(
        export["key_id"], export["key_version"], base64.b64decode(export["public_key"])
    )
    assert len(archives) == 1
    archive = next(iter(archives.values()))
    ExportFile.from_zip(archive).verify(trusted)  # the phone's EN framework checks this
    export_bin = zipfile.ZipFile(io.BytesIO(archive)).read("export.bin")
    for key in keys:
        assert base64.b64decode(key["key"]) in export_bin


def test_codes_work_on_either_path(tmp_path):
    """A code exchanged at /v1/token is used for /api/verify, and the other way (GAPI-3)."""
    clock = Clock()

    async def body():
        async with running(_config(tmp_path), clock) as server, aiohttp.ClientSession() as s:
            app, base = GaenApp(server.url, s), server.url
            code = await issue(base, s)
            hmac_b64 = base64.b64encode(bytes(32)).decode()
            async with s.post(base + "/v1/token", json={"code": code, "key_hmac": hmac_b64}) as r:
                assert r.status == 200
            assert (await app.verify(code))[1]["errorCode"] == "code_invalid"
            other = await issue(base, s)
            assert (await app.verify(other))[0] == 200
            async with s.post(base + "/v1/token", json={"code": other, "key_hmac": hmac_b64}) as r:
                assert r.status == 409 and (await r.json())["error"] == "code_used"

    run(body())


def test_the_hmac_form_without_transmission_risk_is_accepted(tmp_path):
    """With every transmissionRisk 0, tekmac may omit it: our own key-list HMAC (GAPI-6)."""
    clock, rng = Clock(), random.Random(3)

    async def body():
        async with running(_config(tmp_path), clock) as server, aiohttp.ClientSession() as s:
            app = GaenApp(server.url, s)
            keys, secret = gaen_keys(rng, clock.now), os.urandom(16)
            for key in keys:
                del key["transmissionRisk"]
            _, verified = await app.verify(await issue(server.url, s))
            mac = tek_hmac(secret, keys, with_risk=False)
            _, cert = await app.certificate(verified["token"], mac)
            return await app.publish(keys, cert["certificate"], secret)

    status, answer = run(body())
    assert status == 200 and answer["insertedExposures"] == 3


def test_verification_error_codes(tmp_path):
    """Every error code GAEN documents for /api/verify and /api/certificate that applies."""
    clock = Clock()

    async def body():
        seen = {}
        async with running(_config(tmp_path), clock) as server, aiohttp.ClientSession() as s:
            app, base = GaenApp(server.url, s), server.url

            async def expect(status: int, code: str, call) -> dict:
                got_status, answer = await call
                assert (got_status, answer.get("errorCode")) == (status, code), answer
                assert answer["padding"] and answer["error"]
                seen[code] = answer
                return answer

            await expect(401, "unauthorized", app.post("/api/verify", {"code": "x"}, "nope"))
            await expect(400, "unparsable_request", app.post("/api/verify", {"cod": "x"}))
            await expect(400, "code_not_found", app.verify("ABCDEFGHJK"))
            await expect(400, "code_not_found", app.verify("not a code"))
            used = await issue(base, s)
            assert (await app.verify(used))[0] == 200
            await expect(400, "code_invalid", app.verify(used))
            short = await issue(base, s, validity_s=60)
            clock.now += 3600 + 61  # codes expire on the hour after (SRV-3)
            await expect(400, "code_expired", app.verify(short))
            likely = await issue(base, s, report_type=2)
            await expect(400, "invalid_test_type", app.verify(likely, ["positive"]))
            await expect(412, "unsupported_test_type", app.verify(likely, ["confirmed"]))
            self_report = await issue(base, s, report_type=3)
            await expect(412, "unsupported_test_type", app.verify(self_report, ["negative"]))
            assert (await app.verify(self_report, ["user-report"]))[0] == 200
            # /api/certificate
            _, verified = await app.verify(likely, ["likely"])
            zeros = base64.b64encode(bytes(32)).decode()
            await expect(400, "hmac_invalid", app.certificate(verified["token"], zeros))
            mac = base64.b64encode(os.urandom(32)).decode()
            await expect(400, "token_invalid", app.certificate("bm90IGEgdG9rZW4=", mac))
            await expect(400, "hmac_invalid", app.certificate(verified["token"], "AAAA"))
            assert (await app.certificate(verified["token"], mac))[0] == 200
            await expect(400, "token_invalid", app.certificate(verified["token"], mac))
            _, late = await app.verify(await issue(base, s))
            clock.now += 5 * 3600 + 1  # tokens expire on the hour after 4 h (SRV-4)
            await expect(400, "token_expired", app.certificate(late["token"], mac))
        # Options of the operator: a realm that requires a date, and maintenance mode.
        config = _config(tmp_path, require_date=True)
        async with running(config, clock) as server, aiohttp.ClientSession() as s:
            app = GaenApp(server.url, s)
            await expect(400, "missing_date", app.verify(await issue(server.url, s)))
        config = _config(tmp_path, maintenance=True)
        async with running(config, clock) as server, aiohttp.ClientSession() as s:
            app = GaenApp(server.url, s)
            await expect(429, "maintenance_mode", app.verify("ABCDEFGHJK"))
            await expect(429, "maintenance_mode", app.certificate("x", "y"))
        return seen

    seen = run(body())
    assert len(seen) == 12


def _forge(certificate: str, **changes) -> str:
    """The same claims with ``changes``, signed by a key the server does not know."""
    head, body, _ = certificate.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(f"{head}.{encoded}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{head}.{encoded}." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_publish_error_codes(tmp_path):
    """Every error code of GAEN's publish API that applies here (GAPI-8..GAPI-11)."""
    clock, rng = Clock(), random.Random(9)

    async def body():
        seen = {}
        async with running(_config(tmp_path), clock) as server, aiohttp.ClientSession() as s:
            app, base = GaenApp(server.url, s), server.url

            async def expect(status: int, code: str, call) -> dict:
                got_status, answer = await call
                assert (got_status, answer.get("code")) == (status, code), answer
                assert answer["padding"]
                seen[code] = answer
                return answer

            keys, secret = gaen_keys(rng, clock.now), os.urandom(32)
            cert = await _certificate(app, base, s, keys, secret, report_type=2)
            await expect(400, "bad_request", app.post("/gaen/v1/publish", {"keys": []}))
            await expect(400, "bad_request", app.publish([dict(keys[0], key="AAAA")], cert, secret))
            await expect(
                401,
                "unknown_health_authority_id",
                app.publish(keys, cert, secret, healthAuthorityID="other"),
            )
            invalid = "health_authority_verification_certificate_invalid"
            await expect(401, invalid, app.publish(keys, _forge(cert), secret))
            await expect(401, invalid, app.publish(keys, cert + "x", secret))
            await expect(401, invalid, app.publish(keys, cert, os.urandom(32)))
            await expect(401, invalid, app.publish(keys[:2], cert, secret))
            # A today's key is dropped (SRV-6): partial_failure, the others are stored.
            today = dict(keys[0], key=base64.b64encode(os.urandom(16)).decode())
            today["rollingStartNumber"] = keys[0]["rollingStartNumber"] + 10 * 144
            more = [*keys, today]
            cert = await _certificate(app, base, s, more, secret, report_type=2)
            answer = await expect(200, "partial_failure", app.publish(more, cert, secret))
            assert answer["insertedExposures"] == 3 and len(answer["warnings"]) == 1
            revision_token = answer["revisionToken"]
            await expect(401, invalid, app.publish(more, cert, secret))  # spent
            clock.now += 3600
            late = await _certificate(app, base, s, keys, secret)
            clock.now += 15 * 60
            await expect(401, invalid, app.publish(keys, late, secret))  # expired
            # Revisions (GAPI-11).
            cert = await _certificate(app, base, s, keys, secret, report_type=1, revision=True)
            await expect(400, "missing_revision_token", app.publish(keys, cert, secret))
            wrong = base64.b64encode(os.urandom(32)).decode()
            await expect(
                400, "invalid_revision_token", app.publish(keys, cert, secret, revisionToken=wrong)
            )
            ok = await app.publish(keys, cert, secret, revisionToken=revision_token)
            assert ok[0] == 200 and ok[1]["insertedExposures"] == 3
            cert = await _certificate(app, base, s, keys, secret, report_type=1, revision=True)
            await expect(
                400,
                "key_already_revised",
                app.publish(keys, cert, secret, revisionToken=revision_token),
            )
            cert = await _certificate(app, base, s, keys, secret, report_type=5, revision=True)
            ok = await app.publish(keys, cert, secret, revisionToken=revision_token)
            assert ok[0] == 200, ok
            cert = await _certificate(app, base, s, keys, secret, report_type=1, revision=True)
            await expect(
                400,
                "invalid_report_type_transition",
                app.publish(keys, cert, secret, revisionToken=revision_token),
            )
        return seen

    seen = run(body())
    assert len(seen) == 8


def test_certificate_claims_carry_tekmac_report_type_onset_and_short_expiry(tmp_path):
    """The certificate is an ES256 JWT with GAEN's claims (GAPI-5)."""
    clock, rng = Clock(), random.Random(4)

    async def body():
        async with running(_config(tmp_path), clock) as server, aiohttp.ClientSession() as s:
            app = GaenApp(server.url, s)
            onset = past_keys(rng, clock.now, 1)[0].rolling_start
            code = await issue(server.url, s, onset_interval=onset)
            _, verified = await app.verify(code)
            mac = base64.b64encode(os.urandom(32)).decode()
            _, cert = await app.certificate(verified["token"], mac)
            key = server.key_server.gaen.public_key
            return onset, mac, cert["certificate"], key

    onset, mac, certificate, public_key = run(body())
    head, claims_b64, sig = (
        base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in certificate.split(".")
    )
    header, claims = json.loads(head), json.loads(claims_b64)
    assert header == {"alg": "ES256", "kid": "v1", "typ": "JWT"}
    assert claims["tekmac"] == mac and claims["reportType"] == "confirmed"
    assert claims["symptomOnsetInterval"] == onset
    assert claims["iss"] == GAEN.issuer and claims["aud"] == GAEN.audience
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60
    signed = certificate.rsplit(".", 1)[0].encode()
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public_key.verify(der, signed, ec.ECDSA(hashes.SHA256()))


def test_hostile_bodies_get_gaen_errors_never_a_crash(tmp_path):
    """Wrong types, shapes and headers answer a GAEN error code, never 500 (GAPI-2, GAPI-9)."""
    rng = random.Random(7)
    values = [None, True, 1, -1, 2**70, 1.5, "", "x" * 50, [], [[1]], {}, {"a": 1}, "\u00e9"]
    fields = {
        "/api/verify": ["code", "accept", "nonce", "padding"],
        "/api/certificate": ["token", "ekeyhmac", "padding"],
        "/gaen/v1/publish": [
            "temporaryExposureKeys",
            "healthAuthorityID",
            "verificationPayload",
            "hmacKey",
            "symptomOnsetInterval",
            "traveler",
            "revisionToken",
        ],
    }
    key_values = [*values, {"key": "AAAAAAAAAAAAAAAAAAAAAA==", "rollingStartNumber": 1.0}]

    async def body():
        statuses = []
        async with running(_config(tmp_path)) as server, aiohttp.ClientSession() as s:
            app = GaenApp(server.url, s)
            for path, names in fields.items():
                for _ in range(60):
                    request = {n: rng.choice(values) for n in names if rng.random() < 0.8}
                    if "temporaryExposureKeys" in request and rng.random() < 0.5:
                        request["temporaryExposureKeys"] = [rng.choice(key_values)]
                    status, answer = await app.post(path, request)
                    assert status in (400, 401, 412), (path, request, answer)
                    assert answer.get("errorCode") or answer.get("code"), answer
                    statuses.append(status)
            status, answer = await app.verify("ABCDEFGHJK", [[1]])
            assert (status, answer["errorCode"]) == (400, "invalid_test_type")
            status, answer = await app.post("/api/verify", {"code": "x"}, "cl\u00e9")
            assert (status, answer["errorCode"]) == (401, "unauthorized")
            async with s.post(server.url + "/gaen/v1/publish", data=b"{") as r:
                assert r.status == 415 and (await r.json())["code"] == "bad_request"
        return statuses

    assert 400 in run(body())


def test_chaff_requests_get_padding_and_change_nothing(tmp_path):
    """X-Chaff requests answer 200 with padding only and use no code (GAPI-2)."""

    async def body():
        async with running(_config(tmp_path)) as server, aiohttp.ClientSession() as s:
            app = GaenApp(server.url, s)
            code = await issue(server.url, s)
            headers = {"x-api-key": APP_KEY, "x-chaff": "1", "content-type": "application/json"}
            answers = []
            for path in ("/api/verify", "/api/certificate", "/gaen/v1/publish"):
                request = json.dumps({"code": code, "padding": "cGFkZGluZw=="})
                async with s.post(server.url + path, data=request, headers=headers) as r:
                    answers.append((r.status, sorted(await r.json())))
            async with s.post(server.url + "/api/verify", headers={"x-chaff": "1"}) as r:
                answers.append((r.status, sorted(await r.json())))
            return answers, await app.verify(code)

    answers, (status, verified) = run(body())
    assert answers[:3] == [(200, ["padding"])] * 3
    assert answers[3] == (401, ["error", "errorCode", "padding"])
    assert status == 200 and verified["testtype"] == "confirmed"


def test_the_request_onset_is_used_only_within_its_window(tmp_path):
    """symptomOnsetInterval counts when the code has none and it is recent (GAPI-10)."""
    clock, rng = Clock(), random.Random(11)

    async def body():
        async with running(_config(tmp_path), clock) as server, aiohttp.ClientSession() as s:
            app, answers = GaenApp(server.url, s), []
            for days_ago in (100, 5):
                keys, secret = gaen_keys(rng, clock.now, days=1), os.urandom(32)
                onset = past_keys(rng, clock.now, days_ago)[-1].rolling_start
                cert = await _certificate(app, server.url, s, keys, secret)
                answers.append(await app.publish(keys, cert, secret, symptomOnsetInterval=onset))
            stored = await server.storage.key_states([base64.b64decode(keys[0]["key"])])
            return answers, stored[0].key.days_since_onset

    (old, recent), days_since_onset = run(body())
    assert old[0] == recent[0] == 200
    assert old[1]["warnings"] == ["symptomOnsetInterval ignored: not within the 28 days up to now"]
    assert "code" not in old[1] and "warnings" not in recent[1]
    assert days_since_onset == 4  # yesterday's key, onset 5 days ago
