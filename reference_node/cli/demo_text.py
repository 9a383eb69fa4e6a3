"""The text of `bluezone demo`: what happened, told for someone new to exposure notification."""

from __future__ import annotations

import textwrap

from bluezone.reference_node.cli import demo
from bluezone.reference_node.cli.explain import explain_assessment, minutes, number
from bluezone.reference_node.node.log import clock_time

_WIDTH = 92


def _title(text: str) -> list[str]:
    return ["", text, "-" * len(text)]


def render(result: demo.DemoResult) -> str:
    """The demo as text (the JSON form holds the same facts)."""
    lines = [
        "Bluezone demo: four exposure-notification nodes on a simulated Bluetooth LE link,",
        "and the chain the health authorities traced in 2020: F0 -> F1 -> F2",
        "(bumble virtual controllers on a virtual-time event loop: no radio, no setup)",
    ]
    lines += _setting()
    lines += _title(f"What happened ({demo.START.date().isoformat()}, times in UTC)")
    lines += [f"  {clock_time(t)}  {what}" for t, what in result.events]
    lines += _on_air(result)
    lines += _heard(result)
    lines += _published(result)
    lines += _checks(result)
    lines += _chain(result)
    lines += _title("Files and timing")
    capture = result.btsnoop
    lines += [
        f"  {capture['node'].capitalize()}'s HCI traffic ({capture['packets']} packets: every"
        " command, event and advertising report)",
        f"  is in {capture['path']}: open it in Wireshark.",
        f"  {minutes(result.simulated_s)} of simulated time ran in {result.wall_s:.1f} s of wall"
        " time. --json prints all of this",
        "  as one JSON object; --seed N repeats a run exactly.",
    ]
    return "\n".join(lines) + "\n"


def _setting() -> list[str]:
    cal = demo.CALIBRATION
    channel = demo.CHANNEL
    return [
        *_title("The setting"),
        "  Each person carries a full node: a random daily key, from which it derives a new",
        "  identifier every 10 minutes; identifier and random Bluetooth address change together",
        "  (at each 10-minute boundary plus a random 0-60 s). It scans 4 s every 2-5 minutes and",
        "  stores what it hears, never who: identifiers cannot be linked without the daily key.",
        f"  Alice and Bob sit {demo.POSITIONS['bob'].x:g} m apart; Carol sits"
        f" {demo.POSITIONS['carol'].y:g} m from both. After 40 minutes",
        "  Bob moves to sit 1.5 m from Dave, who is far from Alice and Carol.",
        f"  Radio: {demo.RSSI_AT_1M_DBM:g} dBm received at 1 m, log-distance path loss"
        f" (exponent {channel.exponent:g}),",
        f"  {channel.shadowing_sigma_db:g} dB of random shadowing on every advert. Every node"
        f" advertises TX power {cal.tx_power_dbm} dBm",
        "  in its encrypted metadata, so the attenuation (TX power - RSSI) is"
        f" {cal.tx_power_dbm - demo.RSSI_AT_1M_DBM:g} dB at 1 m,",
        "  about what phones measured at 1 m in the NHS distance trials.",
    ]


def _on_air(result: demo.DemoResult) -> list[str]:
    lines = _title("On air")
    for name, counts in result.on_air.items():
        lines.append(
            f"  {name.capitalize():6} {counts['rotations']} identifier rotations,"
            f" {counts['advertisements_sent']:,} adverts sent, {counts['scans']} scans,"
            f" {counts['sightings']} adverts heard"
        )
    return lines


def _heard(result: demo.DemoResult) -> list[str]:
    lines = _title("Who heard whom (the narrator's view)")
    lines += [
        "  The nodes cannot tell: this table uses all three nodes' keys, which no real party",
        "  holds. Attenuation is TX power - RSSI; in brackets the channel's mean at the",
        "  distance where they sat.",
        "",
        "  receiver  sender  heard        adverts  scans  mean RSSI  mean attenuation",
    ]
    for h in result.heard:
        lines.append(
            f"  {h.receiver.capitalize():8}  {h.sender.capitalize():6}"
            f"  {clock_time(h.first_s)[:5]}-{clock_time(h.last_s)[:5]}"
            f"  {h.sightings:7}  {h.scans:5}  {h.mean_rssi_dbm:5.0f} dBm"
            f"  {h.mean_attenuation_db:5.0f} dB ({h.expected_attenuation_db:g})"
        )
    return lines


def _published(result: demo.DemoResult) -> list[str]:
    p = result.published
    return [
        *_title("Diagnosis and publication"),
        "  Alice's node stops broadcasting today's key at once and starts a new one (spec",
        "  KS-13). Her key may be published only 2 hours after it was last broadcast (KS-12),",
        "  so nobody can match it while it might still be on air.",
        f"  {p['published_at'][11:16]}: the health authority publishes her key (confirmed test,"
        " symptoms since that day)",
        f"  in {p['file']} among {p['padding_keys']} random padding keys (so the file does not"
        " tell how many",
        f"  people reported), signed with {p['signature']}.",
    ]


def _checks(result: demo.DemoResult) -> list[str]:
    lines = _title("Exposure checks")
    lines += [
        "  Each node downloads the file, verifies its signature, derives every identifier the",
        "  published keys produced, and looks them up in what it stored. Matches form exposure",
        "  windows (at most 30 minutes each); each scan counts the seconds since the previous",
        "  scan. GAEN v2 with the ENX recommended defaults weights those seconds by the typical",
        "  attenuation and by how infectious the key's owner was that day (symptom onset: high);",
        "  the proximity profile estimates the distance and counts the time within 2 m.",
    ]
    for name, outcome in result.checks.items():
        lines.append("")
        lines.append(f"  {name.capitalize()}:")
        lines += [f"    {line}" for line in explain_assessment(outcome.assessment)]
    verdicts = ", ".join(
        f"{name.capitalize()} {'EXPOSED' if o.exposed else 'not exposed'}"
        f" (score {number(sum(d.v2_score_sum for d in o.assessment.days))})"
        for name, o in result.checks.items()
    )
    lines += ["", f"  In short: {verdicts}."]
    return lines


_LEVEL_WORDS = {
    "F0": "F0, the confirmed case",
    "F1": "F1, near a confirmed case",
    "F2": "F2, near a close contact",
    "none": "nothing",
}


def _chain(result: demo.DemoResult) -> list[str]:
    lines = _title("The chain: F0 -> F1 -> F2, and a withdrawal")
    lines += [
        "  Bob's node says F1: his time near Alice's confirmed key reached the threshold. Nothing",
        "  on the device tells Bob to report: the authority verifies him as a close contact and",
        "  gives him a recursive code for the day of that contact. Only his keys from that day",
        "  on are published, marked RECURSIVE (report type 4). A node near those keys is F2:",
        "  scored like F1 but with its own threshold (ENX's recursivePerDaySumERVThreshold). An",
        "  F2 is not asked to report either: going one link further is the authority's call.",
        "  When Bob's test comes back negative, a revision republishes his keys as REVOKED in a",
        "  new file (the old file is never changed), and an alert they caused is withdrawn.",
    ]
    for stage in result.chain:
        lines.append("")
        lines.append(f"  {stage['time'][11:16]}  {stage['what']}:")
        for name, level in stage["levels"].items():
            detail = (
                f"score {level['score']} against {level['threshold']}"
                if level["threshold"] is not None
                else ""
            )
            change = level["change"]
            note = f"; alert {change['change']} ({change['reason']})" if change else ""
            lines.append(f"    {name.capitalize():6} {level['level']:4}  {detail}{note}")
            if change and change["wording"]:
                lines += textwrap.wrap(
                    f"told: {change['wording']}",
                    _WIDTH,
                    initial_indent=" " * 11,
                    subsequent_indent=" " * 17,
                )
    lines += ["", "  At the end:"]
    for person in result.people():
        path = " -> ".join(step["level"] for step in person["timeline"])
        lines.append(
            f"    {person['name'].capitalize():6} {_LEVEL_WORDS[person['level']]:28} ({path})"
        )
    return lines
