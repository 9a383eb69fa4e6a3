"""The portal over HTTP (spec PORTAL-1..PORTAL-13); the browser walk is in test_browser.py."""

from __future__ import annotations

import csv
import io
import re

import aiohttp
import pytest

from bluezone.protocol.keys import interval_number
from bluezone.protocol.upload import normalize_code
from bluezone.reference_node.client.client import KeyServerClient
from bluezone.reference_node.server.portal.i18n import REFERENCE, catalogues, placeholders

from ..conftest import HA_API_KEY, past_keys, run
from .conftest import ADMIN, ADMIN_PASSWORD, WORKER, deployed

pytestmark = pytest.mark.usefixtures("fast_hashing")

_CODE = re.compile(r'id="code" data-code="([0-9A-Z]+)"')


def _code(page: str) -> str:
    return _CODE.search(page)[1]


async def _counts(admin, day: str) -> dict[str, int]:
    _, text = await admin.get("stats.csv")
    rows = {row["day"]: row for row in csv.DictReader(io.StringIO(text))}
    return {k: int(v) for k, v in rows[day].items() if k != "day"}


def _today(clock) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(clock.now, datetime.UTC).date().isoformat()


def test_the_portal_is_off_unless_configured(tmp_path):
    from ..conftest import config_for, running

    async def scenario():
        async with (
            running(config_for(tmp_path)) as server,
            aiohttp.ClientSession() as http,
            http.get(server.url + "/portal/login") as answer,
        ):
            return server.portal_url, answer.status

    assert run(scenario()) == (None, 404)


def test_the_portal_on_its_own_address_is_not_on_the_api_address(tmp_path):
    async def scenario():
        async with (
            deployed(tmp_path, portal={"host": "127.0.0.1", "port": 0}) as d,
            aiohttp.ClientSession() as http,
            http.get(d.server.url + "/portal/login") as on_api,
            http.get(d.server.portal_url + "login") as on_portal,
        ):
            return d.server.url, d.server.portal_url, on_api.status, on_portal.status

    api, portal, on_api, on_portal = run(scenario())
    assert api not in portal and (on_api, on_portal) == (404, 200)


def test_headers_forbid_scripts_framing_and_caching(tmp_path):
    async def scenario():
        async with (
            deployed(tmp_path, portal={"secure_cookies": True}) as d,
            aiohttp.ClientSession() as http,
            http.get(d.server.portal_url + "login") as answer,
        ):
            return answer.headers, answer.headers.getall("Set-Cookie")

    headers, cookies = run(scenario())
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    (visit,) = cookies
    assert {"Secure", "HttpOnly", "SameSite=Strict", "Path=/portal/"} <= {
        part.strip() for part in visit.split(";")
    }


def test_an_administrator_signs_in_with_password_and_a_fresh_totp_code(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.staff() as admin:
            no_code = await admin.sign_in(ADMIN, ADMIN_PASSWORD)
            right = await admin.sign_in(ADMIN, ADMIN_PASSWORD, admin.totp(d.admin_secret))
            await admin.post("logout", {})
            replayed = await admin.sign_in(ADMIN, ADMIN_PASSWORD, admin.totp(d.admin_secret))
            next_step = await admin.sign_in(ADMIN, ADMIN_PASSWORD, admin.totp(d.admin_secret, 1))
            return no_code[0], right[0], replayed[0], next_step[0]

    assert run(scenario()) == (401, 200, 401, 200)


def test_five_failures_lock_the_account_and_the_answer_never_says_which(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.staff() as someone:
            answers = [await someone.sign_in("nobody", "whatever it is")]
            for _ in range(5):
                answers.append(await someone.sign_in(ADMIN, "wrong password here", "000000"))
            locked = await someone.sign_in(ADMIN, ADMIN_PASSWORD, someone.totp(d.admin_secret))
            d.clock.now += 15 * 60
            after = await someone.sign_in(ADMIN, ADMIN_PASSWORD, someone.totp(d.admin_secret))
            events = await d.server.storage.audit_events(50)
            return answers, locked, after[0], [e.action for e in events]

    answers, locked, after, actions = run(scenario())
    messages = {re.search(r'id="error"[^>]*>([^<]+)', text)[1] for _, text in [*answers, locked]}
    assert {status for status, _ in answers} == {401} and locked[0] == 401
    assert len(messages) == 1 and after == 200
    assert actions.count("sign_in_failed") == 4 and actions.count("locked_out") == 1


def test_a_post_without_the_form_token_is_refused(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.admin() as admin:
            missing = await admin.post("codes/new", aiohttp.FormData({"kind": "confirmed"}))
            admin.csrf = admin.csrf[:-2] + "AA"
            forged = await admin.post("codes/new", {"kind": "confirmed"})
            issued = await d.server.storage.daily_counts(0, 2**31)
            return missing[0], forged[0], issued

    assert run(scenario()) == (403, 403, {})


def test_a_new_case_worker_changes_password_first_and_cannot_open_admin_pages(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            pages = [(await worker.get(p))[0] for p in ("stats", "staff", "audit", "stats.csv")]
            weak = await worker.post(
                "account/password",
                {"current": "x", "new": "short", "repeat": "short"},
            )
            return pages, weak[0]

    pages, weak = run(scenario())
    assert pages == [403, 403, 403, 403] and weak == 400


def test_a_weak_initial_password_or_a_taken_name_creates_no_account(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.admin() as admin:
            await admin.get("staff")
            weak = await admin.post(
                "staff", {"username": "le.van.c", "role": "case_worker", "password": "password1234"}
            )
            taken = await admin.post(
                "staff", {"username": ADMIN, "role": "admin", "password": "a long unusual one 9"}
            )
            bad = await admin.post(
                "staff", {"username": "Lê Văn C", "role": "case_worker", "password": "p" * 20}
            )
            return (
                weak[0],
                taken[0],
                bad[0],
                [s.username for s in await d.server.storage.list_staff()],
            )

    assert run(scenario()) == (400, 400, 400, [ADMIN])


@pytest.mark.parametrize(
    ("kind", "report_type"),
    [
        ("confirmed", 1),
        ("clinical", 2),
        ("self_report", 3),
        ("recursive", 4),
        ("confirm_revision", 1),
        ("revoke", 5),
    ],
)
def test_each_kind_of_code_is_a_code_of_the_api(tmp_path, kind, report_type):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            today = _today(d.clock)
            status, page = await worker.post(
                "codes/new", {"kind": kind, "onset_date": "", "exposure_date": today}
            )
            code = _code(page)
            found = await d.server.storage.code_status(d.server.key_server.code_digest(code))
            sms = re.search(r'<textarea id="sms" readonly>([^<]+)', page)[1]
            return status, code, found, sms

    status, code, found, sms = run(scenario())
    assert status == 201 and found.report_type == report_type and not found.used
    assert found.revision == (kind in ("confirm_revision", "revoke"))
    assert (found.exposure_interval is not None) == (kind == "recursive")
    link = re.search(r"bluezone://verify\?c=[0-9A-Z]+", sms)[0]
    assert normalize_code(link) == code  # spec PORTAL-7: the link stands for the code


def test_dates_outside_the_window_and_a_contact_code_without_its_day_issue_nothing(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            early = await worker.post(
                "codes/new", {"kind": "confirmed", "onset_date": "2020-01-01"}
            )
            future = await worker.post(
                "codes/new", {"kind": "confirmed", "onset_date": "2999-01-01"}
            )
            no_day = await worker.post("codes/new", {"kind": "recursive"})
            garbage = await worker.post("codes/new", {"kind": "confirmed", "onset_date": "31/12"})
            unknown = await worker.post("codes/new", {"kind": "f9"})
            counts = await d.server.storage.daily_counts(0, 2**31)
            return [a[0] for a in (early, future, no_day, garbage, unknown)], counts

    statuses, counts = run(scenario())
    assert statuses == [400] * 5 and counts == {}


def test_the_daily_quota_holds_across_the_portal_and_the_api(tmp_path):
    async def scenario():
        async with deployed(tmp_path, daily_code_quota=2) as d, d.admin() as admin:
            first = await admin.post("codes/new", {"kind": "confirmed"})
            async with KeyServerClient(d.server.url) as client:
                await client.issue_code(HA_API_KEY)
                try:
                    await client.issue_code(HA_API_KEY)
                except Exception as exc:  # the client's typed error for a 429
                    api_refusal = getattr(exc, "status", None)
            third = await admin.post("codes/new", {"kind": "confirmed"})
            return first[0], api_refusal, third[0], "quota" in third[1]

    assert run(scenario()) == (201, 429, 429, True)


def test_an_account_issuing_too_fast_is_slowed_down(tmp_path):
    from bluezone.reference_node.server.ratelimit import Rate

    async def scenario():
        limits = {"staff_code_rate": Rate(per_minute=1, burst=2)}
        async with deployed(tmp_path, portal=limits) as d, d.admin() as admin:
            return [(await admin.post("codes/new", {"kind": "confirmed"}))[0] for _ in range(3)]

    assert run(scenario()) == [201, 201, 429]


def _bulk_form(csrf: str, content: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", content, filename="list.csv", content_type="text/csv")
    return form


def test_bulk_issuance_answers_the_list_with_codes_and_stores_no_phone(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            today = _today(d.clock)
            content = (
                "kind,exposure_date,phone,note\n"
                f'recursive,{today},+84912345678,=HYPERLINK("x")\n'
                f"self_report,,0912 345 679,ok\n"
            ).encode()
            await worker.get("codes/bulk")
            async with worker.session.post(
                worker.base + "codes/bulk", data=_bulk_form(worker.csrf, content)
            ) as answer:
                body = await answer.read()
                status, kind = answer.status, answer.content_type
            database = (d.tmp_path / "server" / "server.sqlite3").read_bytes()
            events = await d.server.storage.audit_events(10)
            return status, kind, body, database, events

    status, kind, body, database, events = run(scenario())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert (status, kind, len(rows)) == (200, "text/csv", 2)
    assert rows[0]["phone"] == "+84912345678" and rows[0]["note"].startswith("'=")
    assert all(
        len(r["code"]) == 10 and r["error"] == "" and r["code"] in r["message"].replace(" ", "")
        for r in rows
    )
    assert b"912345678" not in database and b"345 679" not in database
    assert not any(r["code"] in e.detail for r in rows for e in events)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"phone\n0912\n",  # no kind column
        b"kind,kind\nconfirmed,confirmed\n",
        b"kind,phone\nconfirmed\n",  # a short row
        b"kind,onset_date\nconfirmed,2026-01-01x\n",
        b"kind\n" + b"confirmed\n" * 501,
    ],
)
def test_a_bad_bulk_file_issues_nothing(tmp_path, content):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            await worker.get("codes/bulk")
            status, page = await worker.post("codes/bulk", _bulk_form(worker.csrf, content))
            return status, 'id="error"' in page, await d.server.storage.daily_counts(0, 2**31)

    assert run(scenario()) == (400, True, {})


def test_a_code_is_looked_up_expired_early_and_then_refused_to_a_phone(tmp_path, rng):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            code = _code((await worker.post("codes/new", {"kind": "confirmed"}))[1])
            before = await worker.post("codes/status", {"code": code.lower()})
            expired = await worker.post("codes/expire", {"code": code})
            again = await worker.post("codes/expire", {"code": code})
            unknown = await worker.post("codes/status", {"code": "2345678923"})
            async with KeyServerClient(d.server.url) as phone:
                try:
                    await phone.report(code, past_keys(rng, d.clock.now))
                    refused = None
                except Exception as exc:
                    refused = getattr(exc, "error", None)
            return before, expired, again[0], unknown[0], refused

    before, expired, again, unknown, refused = run(scenario())
    assert 'data-state="unused"' in before[1] and 'data-state="expired"' in expired[1]
    assert (again, unknown, refused) == (409, 404, "code_expired")


def test_statistics_count_a_device_report_and_the_audit_trail_never_holds_the_code(tmp_path, rng):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            code = _code((await worker.post("codes/new", {"kind": "confirmed"}))[1])
            async with KeyServerClient(d.server.url) as phone:
                await phone.report(code, past_keys(rng, d.clock.now, days=3))
            await d.server.publisher.publish_once()
            used = await worker.post("codes/status", {"code": code})
            async with d.admin() as admin:
                counts = await _counts(admin, _today(d.clock))
                _, audit = await admin.get("audit")
                _, stats = await admin.get("stats")
            events = await d.server.storage.audit_events(100)
            return code, used[1], counts, audit, stats, events

    code, used, counts, audit, stats, events = run(scenario())
    assert 'data-state="used"' in used
    assert counts == {
        "codes_issued": 1,
        "codes_used": 1,
        "uploads": 1,
        "keys_published": 3,
        "batches": 1,
    }
    assert 'data-action="code_issued"' in audit and WORKER in audit
    assert 'data-name="uploads">1<' in stats
    spaced = " ".join(code[i : i + 3] for i in range(0, 10, 3))
    assert not any(c in repr(events) for c in (code, spaced))
    assert code not in audit


def test_an_idle_session_ends_after_20_minutes_and_a_disabled_account_at_once(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.worker() as worker:
            d.clock.now += 19 * 60
            still = await worker.get("codes/new")
            d.clock.now += 21 * 60
            idle = await worker.get("codes/new")
            await worker.sign_in(WORKER, "bốn mùa hoa nở khắp nơi")
            async with d.admin() as admin:
                await admin.get("staff")
                (worker_row,) = [
                    s for s in await d.server.storage.list_staff() if s.username == WORKER
                ]
                await admin.post(f"staff/{worker_row.id}/disable", {})
            disabled = await worker.get("codes/new")
            return still, idle, disabled

    still, idle, disabled = run(scenario())
    assert 'id="issue"' in still[1]
    assert 'id="login"' in idle[1] and 'id="login"' in disabled[1]


def test_the_language_follows_the_choice_then_the_browser_then_vietnamese(tmp_path):
    async def scenario():
        async with deployed(tmp_path, portal={"default_language": "vi"}) as d, d.staff() as s:
            default = (await s.get("login"))[1]
            browser = (await s.get("login", headers={"Accept-Language": "en-GB,en;q=0.8"}))[1]
            await s.get("language?to=en&next=/portal/login")
            chosen = (await s.get("login", headers={"Accept-Language": "vi"}))[1]
            escaped = (await s.get("language?to=vi&next=//evil.example/"))[1]
            broken = await s.get("language?to=vi&next=/portal/%0d%0aSet-Cookie:%20x=1")
            return default, browser, chosen, escaped, broken

    default, browser, chosen, escaped, broken = run(scenario())
    assert "Đăng nhập" in default and '<html lang="vi">' in default
    assert '<html lang="en">' in browser and '<html lang="en">' in chosen
    assert 'id="login"' in escaped  # an outside "next" falls back to the portal
    assert broken[0] == 200 and 'id="login"' in broken[1]


def test_every_catalogue_has_the_reference_keys_and_placeholders():
    shipped = catalogues()
    assert {"en", "vi"} <= set(shipped)
    for tag, messages in shipped.items():
        assert messages.keys() == shipped[REFERENCE].keys(), tag
        for key, text in messages.items():
            assert placeholders(text) == placeholders(shipped[REFERENCE][key]), (tag, key)


def test_hostile_form_bodies_get_an_answer_not_a_crash(tmp_path):
    bodies = [
        (b"\x00\xff" * 100, "application/x-www-form-urlencoded"),
        (b"csrf=%ZZ&kind=\xff", "application/x-www-form-urlencoded"),
        (
            b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
        ),
        (b"--x\r\n" + b"A" * 70_000, "multipart/form-data; boundary=x"),
        (b"k=" + b"v" * 9000, "application/x-www-form-urlencoded"),
    ]

    async def scenario():
        async with deployed(tmp_path) as d, d.admin() as admin:
            statuses = []
            for path in ("login", "codes/new", "codes/bulk", "staff", "account/password"):
                for body, kind in bodies:
                    async with admin.session.post(
                        admin.base + path, data=body, headers={"Content-Type": kind}
                    ) as answer:
                        statuses.append(answer.status)
            return statuses

    statuses = run(scenario())
    assert set(statuses) <= {400, 403, 413}, statuses


def test_portal_dates_use_the_authoritys_zone_and_never_an_interval_after_now(tmp_path):
    async def scenario():
        async with deployed(tmp_path) as d, d.admin() as admin:
            page = (await admin.get("codes/new"))[1]
            maximum = re.search(r'id="onset_date"[^>]*max="([0-9-]+)"', page)[1]
            status, issued = await admin.post(
                "codes/new", {"kind": "confirmed", "onset_date": maximum}
            )
            found = await d.server.storage.code_status(
                d.server.key_server.code_digest(_code(issued))
            )
            return status, found.onset_interval, interval_number(d.clock.now)

    status, onset, now = run(scenario())
    assert status == 201 and onset <= now


def test_random_bulk_bytes_raise_only_the_bulk_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bluezone.reference_node.server.portal import bulk

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
    def check(data):
        try:
            header, rows = bulk.parse(data)
        except bulk.BulkFileError:
            return
        assert "kind" in header and 1 <= len(rows) <= bulk.MAX_ROWS

    check()


def test_bulk_answers_round_trip_their_cells():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bluezone.reference_node.server.portal import bulk

    cell = st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
    )

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(bulk_kinds()), cell), min_size=1, max_size=5))
    def check(items):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["kind", "note"])
        writer.writerows(items)
        header, rows = bulk.parse(out.getvalue().encode())
        answer = bulk.answer(header, rows, ["quota_exceeded"] * len(rows))
        back = list(csv.reader(io.StringIO(answer.decode("utf-8-sig"))))
        assert back[0] == ["kind", "note", *bulk.ADDED]
        for (kind, note), row in zip(items, back[1:], strict=True):
            assert row[0] == kind and row[1] in (note, "'" + note)
            assert row[-1] == "quota_exceeded"

    check()


def bulk_kinds():
    from bluezone.reference_node.server.portal.pages import KINDS

    return KINDS


@pytest.mark.parametrize(("validity", "seconds"), [("15m", 900), ("1h", 3600), ("24h", 86400)])
def test_the_chosen_validity_is_the_codes_with_srv3_rounding(tmp_path, validity, seconds):
    async def scenario():
        async with deployed(tmp_path) as d, d.admin() as admin:
            _, page = await admin.post("codes/new", {"kind": "confirmed", "validity": validity})
            digest = d.server.key_server.code_digest(_code(page))
            return (await d.server.storage.code_status(digest)).expires_s - int(d.clock.now)

    assert seconds <= run(scenario()) < seconds + 600
