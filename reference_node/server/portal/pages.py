"""The portal's HTML: server-rendered pages that work without JavaScript (spec PORTAL-1).

Every value is escaped here, at the one place text becomes markup. Pages carry no script and
no inline style, so the Content-Security-Policy can forbid both.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bluezone.reference_node.server.portal.i18n import Translate, catalogues
from bluezone.reference_node.server.storage.base import AuditEvent, StaffRecord

# spec PORTAL-11: the daily counts, in the order of the statistics table and its CSV.
COUNT_NAMES = ("codes_issued", "codes_used", "uploads", "keys_published", "batches")
# spec PORTAL-7: the kinds of code a case worker may issue, in the order of the form.
KINDS = ("confirmed", "clinical", "self_report", "recursive", "confirm_revision", "revoke")
# spec PORTAL-7: the validities offered, shortest first (the portal's VALIDITIES_S).
VALIDITIES = ("15m", "1h", "24h")


@cache
def stylesheet() -> str:
    """The portal's stylesheet, served at /portal/style.css."""
    return resources.files(__package__).joinpath("style.css").read_text(encoding="utf-8")


def esc(value: object) -> str:
    """``value`` as HTML text, quotes escaped too."""
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class View:
    """What every page needs: the language, the account, the form token, messages."""

    t: Translate
    language: str
    authority: str
    user: StaffRecord | None = None
    csrf: str = ""
    path: str = "/portal/"
    notice: str | None = None
    error: str | None = None


def csrf_field(view: View) -> str:
    """The hidden form token every POST form carries (spec PORTAL-6)."""
    return f'<input type="hidden" name="csrf" value="{esc(view.csrf)}">'


def _nav(view: View) -> str:
    if view.user is None:
        return ""
    t = view.t
    links = [
        ("nav-issue", "/portal/codes/new", t("nav_issue")),
        ("nav-bulk", "/portal/codes/bulk", t("nav_bulk")),
        ("nav-status", "/portal/codes/status", t("nav_status")),
    ]
    if view.user.role == "admin":
        links += [
            ("nav-stats", "/portal/stats", t("nav_stats")),
            ("nav-staff", "/portal/staff", t("nav_staff")),
            ("nav-audit", "/portal/audit", t("nav_audit")),
        ]
    links.append(("nav-account", "/portal/account/password", t("nav_account")))
    items = "".join(f'<a id="{i}" href="{h}">{esc(label)}</a>' for i, h, label in links)
    logout = (
        f'<form id="logout" method="post" action="/portal/logout">{csrf_field(view)}'
        f'<button id="sign-out" type="submit">{esc(t("sign_out"))} '
        f"({esc(view.user.username)})</button></form>"
    )
    return f"<nav>{items}</nav>{logout}"


def _languages(view: View) -> str:
    links = []
    for tag, messages in sorted(catalogues().items()):
        name = esc(messages["language_name"])
        current = ' aria-current="true"' if tag == view.language else ""
        links.append(
            f'<a id="lang-{tag}" lang="{tag}" href="/portal/language?to={tag}'
            f'&amp;next={esc(view.path)}"{current}>{name}</a>'
        )
    return f'<span class="lang">{" · ".join(links)}</span>'


def layout(view: View, title: str, body: str) -> str:
    """A whole page: header with navigation and languages, messages, then ``body``."""
    notice = f'<p id="notice" role="status">{esc(view.notice)}</p>' if view.notice else ""
    error = f'<p id="error" role="alert">{esc(view.error)}</p>' if view.error else ""
    return (
        f'<!doctype html><html lang="{esc(view.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · {esc(view.authority)}</title>"
        '<link rel="stylesheet" href="/portal/style.css"></head><body>'
        f"<header><strong>{esc(view.authority)}</strong>{_nav(view)}{_languages(view)}</header>"
        f"<main><h1>{esc(title)}</h1>{notice}{error}{body}</main></body></html>"
    )


def _input(name: str, label: str, kind: str = "text", extra: str = "", hint: str = "") -> str:
    hint_html = f'<p class="hint" id="{name}-hint">{esc(hint)}</p>' if hint else ""
    described = f' aria-describedby="{name}-hint"' if hint else ""
    return (
        f'<label for="{name}">{esc(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}"{described} {extra}>{hint_html}'
    )


def _submit(element_id: str, label: str) -> str:
    return f'<button class="primary" id="{element_id}" type="submit">{esc(label)}</button>'


def login_page(view: View, username: str = "") -> str:
    """The sign-in form (spec PORTAL-4)."""
    t = view.t
    body = (
        f'<form class="card" id="login" method="post" action="/portal/login">{csrf_field(view)}'
        + _input(
            "username",
            t("username"),
            extra=f'value="{esc(username)}" autocomplete="username" required',
        )
        + _input("password", t("password"), "password", 'autocomplete="current-password" required')
        + _input(
            "totp",
            t("totp_code"),
            extra='inputmode="numeric" autocomplete="one-time-code" maxlength="6"',
            hint=t("totp_hint"),
        )
        + _submit("sign-in", t("sign_in"))
        + "</form>"
    )
    return layout(view, t("sign_in_title"), body)


def password_page(view: View) -> str:
    """Change one's own password (spec PORTAL-3)."""
    t = view.t
    body = (
        f'<form class="card" id="password" method="post" action="/portal/account/password">'
        f"{csrf_field(view)}"
        + _input("current", t("password_current"), "password", 'autocomplete="current-password"')
        + _input(
            "new",
            t("password_new"),
            "password",
            'autocomplete="new-password" minlength="12"',
            hint=t("password_rules"),
        )
        + _input("repeat", t("password_repeat"), "password", 'autocomplete="new-password"')
        + _submit("password-submit", t("password_change"))
        + "</form>"
        + '<p><a href="/portal/account/totp">'
        + esc(t("totp_title"))
        + "</a></p>"
    )
    return layout(view, t("password_title"), body)


def totp_page(view: View, secret: str, uri: str) -> str:
    """Enrol an authenticator app (spec PORTAL-4, PORTAL-14)."""
    t = view.t
    body = (
        f'<section class="card"><p>{esc(t("totp_explain"))}</p>'
        f"<p>{esc(t('totp_secret'))}: "
        f'<code class="secret" id="totp-secret">{esc(secret)}</code></p>'
        f'<p class="hint">{esc(t("totp_uri"))}: <code id="totp-uri">{esc(uri)}</code></p></section>'
        f'<form class="card" id="totp" method="post" action="/portal/account/totp">'
        f"{csrf_field(view)}"
        + _input(
            "totp",
            t("totp_code"),
            extra='inputmode="numeric" autocomplete="one-time-code" required',
        )
        + _submit("totp-submit", t("totp_confirm"))
        + "</form>"
    )
    return layout(view, t("totp_title"), body)


def _options(t: Translate, prefix: str, values: Sequence[str], chosen: str) -> str:
    """``<option>`` elements for ``values``, labelled by the messages ``prefix + value``."""
    return "".join(
        f'<option value="{v}"{" selected" if v == chosen else ""}>{esc(t(prefix + v))}</option>'
        for v in values
    )


def issue_page(
    view: View, earliest: datetime.date, today: datetime.date, values: Mapping[str, str]
) -> str:
    """The form for one code (spec PORTAL-7)."""
    t = view.t
    dates = f'min="{earliest.isoformat()}" max="{today.isoformat()}"'

    def value(name: str) -> str:
        return f'value="{esc(values.get(name, ""))}"'

    kinds = _options(t, "kind_", KINDS, values.get("kind") or "confirmed")
    validities = _options(t, "validity_", VALIDITIES, values.get("validity") or "1h")

    body = (
        f'<form class="card" id="issue" method="post" action="/portal/codes/new">'
        f"{csrf_field(view)}"
        f'<label for="kind">{esc(t("kind"))}</label>'
        f'<select id="kind" name="kind">'
        f"{kinds}</select>"
        + _input(
            "onset_date",
            t("onset_date"),
            "date",
            f"{dates} {value('onset_date')}",
            hint=t("onset_hint", days=(today - earliest).days + 1),
        )
        + _input(
            "exposure_date",
            t("exposure_date"),
            "date",
            f"{dates} {value('exposure_date')}",
            hint=t("exposure_hint"),
        )
        + f'<label for="validity">{esc(t("validity"))}</label>'
        + f'<select id="validity" name="validity">{validities}</select>'
        + _submit("issue-submit", t("issue"))
        + "</form>"
    )
    return layout(view, t("issue_title"), body)


def issued_page(view: View, kind: str, code: str, grouped: str, expires: str, sms: str) -> str:
    """The issued code, large and grouped for reading aloud, and its text message (PORTAL-7)."""
    t = view.t
    body = (
        f'<section class="card"><p>{esc(t("kind_" + kind))}</p>'
        f'<p id="code" data-code="{esc(code)}" aria-label="{esc(" ".join(code))}">'
        f"{esc(grouped)}</p>"
        f'<p>{esc(t("expires_at"))}: <strong id="expires">{esc(expires)}</strong></p>'
        f'<label for="sms">{esc(t("sms_label"))}</label>'
        f'<textarea id="sms" readonly>{esc(sms)}</textarea>'
        f'<p class="hint">{esc(t("code_never_stored"))}</p></section>'
        f'<p><a href="/portal/codes/new">{esc(t("issue_another"))}</a></p>'
    )
    return layout(view, t("issued_title"), body)


def bulk_page(view: View, max_rows: int) -> str:
    """Bulk issuance from a CSV file (spec PORTAL-8)."""
    t = view.t
    body = (
        f'<form class="card" id="bulk" method="post" action="/portal/codes/bulk" '
        f'enctype="multipart/form-data">{csrf_field(view)}'
        f"<p>{esc(t('bulk_explain', rows=max_rows))}</p>"
        "<pre>kind,onset_date,exposure_date,phone\nrecursive,,2026-12-01,0912345678</pre>"
        + _input("file", t("bulk_file"), "file", 'accept=".csv,text/csv" required')
        + _submit("bulk-submit", t("bulk_issue"))
        + "</form>"
    )
    return layout(view, t("bulk_title"), body)


def status_page(view: View, code: str = "", state: str | None = None, detail: str = "") -> str:
    """Look a code up; expire it early while unused (spec PORTAL-9)."""
    t = view.t
    body = (
        f'<form class="card" id="status" method="post" action="/portal/codes/status">'
        f"{csrf_field(view)}"
        + _input("code", t("code"), extra=f'value="{esc(code)}" autocomplete="off" required')
        + _submit("status-submit", t("look_up"))
        + "</form>"
    )
    if state is not None:
        body += (
            f'<section class="card"><p id="code-state" data-state="{state}">'
            f"<strong>{esc(t('state_' + state))}</strong> {esc(detail)}</p>"
        )
        if state == "unused":
            body += (
                f'<form id="expire" method="post" action="/portal/codes/expire">'
                f'{csrf_field(view)}<input type="hidden" name="code" value="{esc(code)}">'
                f"{_submit('expire-submit', t('expire_now'))}</form>"
            )
        body += "</section>"
    return layout(view, t("status_title"), body)


def stats_page(view: View, rows: Sequence[tuple[datetime.date, Mapping[str, int]]]) -> str:
    """Daily counts, newest first; nothing about a person (spec PORTAL-11)."""
    t = view.t
    head = "".join(f"<th>{esc(t('count_' + n))}</th>" for n in COUNT_NAMES)
    lines = []
    for day, counts in rows:
        cells = "".join(
            f'<td class="n" data-name="{n}">{counts.get(n, 0)}</td>' for n in COUNT_NAMES
        )
        lines.append(f'<tr data-day="{day.isoformat()}"><td>{day.isoformat()}</td>{cells}</tr>')
    body = (
        f'<p><a id="stats-csv" href="/portal/stats.csv">{esc(t("download_csv"))}</a></p>'
        f'<div class="table"><table id="stats"><thead><tr><th>{esc(t("day"))}</th>{head}</tr>'
        f"</thead><tbody>{''.join(lines)}</tbody></table></div>"
    )
    return layout(view, t("stats_title"), body)


def _staff_row(view: View, staff: StaffRecord) -> str:
    t = view.t
    action, label = ("enable", t("enable")) if staff.disabled else ("disable", t("disable"))
    state = t("account_disabled") if staff.disabled else t("account_active")
    toggle = ""
    if view.user is not None and staff.id != view.user.id:
        toggle = (
            f'<form class="{action}" method="post" action="/portal/staff/{staff.id}/{action}">'
            f'{csrf_field(view)}<button type="submit">{esc(label)}</button></form>'
        )
    return (
        f'<tr data-username="{esc(staff.username)}"><td>{esc(staff.username)}</td>'
        f"<td>{esc(t('role_' + staff.role))}</td><td>{esc(state)}</td>"
        f"<td>{'✓' if staff.totp_secret else ''}</td><td>{toggle}</td></tr>"
    )


def staff_page(view: View, staff: Iterable[StaffRecord]) -> str:
    """Accounts: list, create, disable (spec PORTAL-2)."""
    t = view.t
    rows = "".join(_staff_row(view, s) for s in staff)
    roles = "".join(
        f'<option value="{r}">{esc(t("role_" + r))}</option>' for r in ("case_worker", "admin")
    )
    body = (
        f'<div class="table"><table id="staff-list"><thead><tr><th>{esc(t("username"))}</th>'
        f"<th>{esc(t('role'))}</th><th>{esc(t('state'))}</th><th>{esc(t('authenticator'))}</th><th></th></tr>"
        f"</thead><tbody>{rows}</tbody></table></div>"
        f"<h2>{esc(t('add_staff'))}</h2>"
        f'<form class="card" id="add-staff" method="post" action="/portal/staff">'
        f"{csrf_field(view)}"
        + _input("username", t("username"), extra='autocomplete="off" required maxlength="64"')
        + f'<label for="role">{esc(t("role"))}</label>'
        + f'<select id="role" name="role">{roles}</select>'
        + _input(
            "password",
            t("initial_password"),
            "password",
            'autocomplete="new-password" required',
            hint=t("initial_password_hint"),
        )
        + _submit("add-staff-submit", t("add_staff"))
        + "</form>"
    )
    return layout(view, t("staff_title"), body)


def audit_page(view: View, events: Iterable[AuditEvent], when: Mapping[int, str]) -> str:
    """Who did what when; never a code (spec PORTAL-12)."""
    t = view.t
    rows = "".join(
        f'<tr data-action="{esc(e.action)}"><td>{esc(when[e.id])}</td><td>{esc(e.actor)}</td>'
        f"<td>{esc(t('audit_' + e.action))}</td><td>{esc(e.detail)}</td></tr>"
        for e in events
    )
    body = (
        f'<div class="table"><table id="audit"><thead><tr><th>{esc(t("time"))}</th>'
        f"<th>{esc(t('account'))}</th><th>{esc(t('action'))}</th><th>{esc(t('detail'))}</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></div>"
    )
    return layout(view, t("audit_title"), body)


def message_page(view: View, title: str) -> str:
    """A page with nothing but its title and messages (refusals, errors)."""
    return layout(view, title, f'<p><a href="/portal/">{esc(view.t("back"))}</a></p>')
