"""What the Bluezone 2020 uploads leaked, measured against one published TEK (not normative).

Run: ``python -m bluezone.reference_node.lab.bz2020_leak [--seed N] [--json]``.

A small town of phones runs the 2020 app (spec appendix A1) for weeks; phone 0 reports. The
2020 flow then makes three uploads reach the server, and one push reach every phone:

- the reporter's upload: base key, the daily key of 14 days before, its contact history;
- the push: that daily key, sent to every phone;
- every phone that matches the push (BZ20-11) uploads its base key and history too.

The observer re-derives identifiers from what it holds with the library
(`bluezone.protocol.bluezone2020`) and compares them with what each phone really broadcast,
so every figure is counted, not assumed. The same town under this protocol: the reporter
publishes its TEKs (KS-12), each opening the 144 identifiers of its own day, re-keys at
once (KS-13), and nobody uploads a contact.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bluezone.protocol import params
from bluezone.protocol.bluezone2020 import (
    F0Key,
    LegacySighting,
    blids,
    daily_key,
    match_legacy,
    next_daily_key,
)
from bluezone.protocol.keys import derive_rpi

DAY = params.SECONDS_PER_DAY
SLOTS = params.BZ20_SLOTS_PER_DAY_V3
# The report is made at the end of day 0; the town is followed for 30 days after it.
HISTORY_DAYS = 14
FOLLOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone running the 2020 app: its base key and install day (days before the report)."""

    number: int
    base_key: bytes
    installed_days_before: int


@dataclass(frozen=True, slots=True)
class Row:
    """One row of an app's contact history: own BLID, contact BLID, time (s) and RSSI."""

    own: bytes
    contact: bytes
    time_s: int
    rssi: int


@dataclass(frozen=True, slots=True)
class LeakFigures:
    """What an observer learns from one report, under the 2020 flow and under this protocol."""

    phones: int
    reporter_installed_days_before: int
    reporter_broadcast: int
    linked_by_push: int
    linked_by_push_before_report: int
    linked_by_base_key: int
    linked_by_one_tek: int
    recognised_by_all_teks: int
    linked_after_report_2020: int
    linked_after_report_here: int
    matched_phones: int
    uploaded_base_keys: int
    uploaded_rows: int
    people_in_graph: int
    resolved_edges: int
    unresolved_contact_blids: int
    graph_people_here: int


def town(count: int, rng: random.Random) -> list[Phone]:
    """``count`` phones with random base keys, installed 15 to 60 days before the report."""
    return [Phone(n, rng.randbytes(32), rng.randrange(15, 61)) for n in range(count)]


class Schedule:
    """Every BLID a phone broadcast, by (day, slot) relative to the report day (day 0)."""

    def __init__(self, phone: Phone, last_day: int) -> None:
        self.phone = phone
        self.by_slot: dict[tuple[int, int], bytes] = {}
        key = phone.base_key
        for day in range(-phone.installed_days_before, last_day + 1):
            for slot, blid in enumerate(blids(key, SLOTS)):
                self.by_slot[(day, slot)] = blid
            key = next_daily_key(key)


def histories(
    phones: Sequence[Phone], schedules: Sequence[Schedule], rng: random.Random
) -> list[list[Row]]:
    """Each phone's contact history: both sides of every meeting log one row per slot."""
    logs: list[list[Row]] = [[] for _ in phones]
    for phone in phones:
        for _ in range(3):
            other = rng.randrange(len(phones))
            if other == phone.number:
                continue
            day = rng.randrange(-HISTORY_DAYS + 1, 1)
            first, length = rng.randrange(SLOTS - 4), rng.randrange(1, 5)
            for slot in range(first, first + length):
                time = (day * DAY) + slot * (DAY // SLOTS) + rng.randrange(DAY // SLOTS)
                a, b = schedules[phone.number], schedules[other]
                rssi = rng.randrange(-90, -50)
                logs[phone.number].append(
                    Row(a.by_slot[day, slot], b.by_slot[day, slot], time, rssi)
                )
                logs[other].append(Row(b.by_slot[day, slot], a.by_slot[day, slot], time, rssi))
    return logs


def _linked(schedule: Schedule, key: bytes, first_day: int, last_day: int) -> set[bytes]:
    """The reporter's BLIDs an observer re-derives from ``key`` (the daily key of first_day)."""
    derived = set()
    for _ in range(first_day, last_day + 1):
        derived.update(blids(key, SLOTS))
        key = next_daily_key(key)
    return derived & set(schedule.by_slot.values())


def measure(count: int = 100, seed: int = 2020) -> LeakFigures:
    """Run the town and count what one report gives away (see the module docstring)."""
    rng = random.Random(seed)
    phones = town(count, rng)
    schedules = [Schedule(p, FOLLOW_DAYS) for p in phones]
    logs = histories(phones, schedules, rng)
    reporter, schedule = phones[0], schedules[0]
    before_report = {b for (day, _), b in schedule.by_slot.items() if day <= 0}
    pushed_key = daily_key(reporter.base_key, reporter.installed_days_before - HISTORY_DAYS + 1)
    by_push = _linked(schedule, pushed_key, -HISTORY_DAYS + 1, FOLLOW_DAYS)
    by_base = _linked(schedule, reporter.base_key, -reporter.installed_days_before, FOLLOW_DAYS)
    # The push, as every phone received it; the phones that match upload too (BZ20-11).
    push = F0Key(pushed_key, 0, HISTORY_DAYS * DAY, SLOTS)
    matched = [
        p.number
        for p in phones[1:]
        if match_legacy([push], _sightings_for(logs[p.number], -HISTORY_DAYS + 1))
    ]
    uploaders = [0, *matched]
    blid_owner = {
        blid: n
        for n in uploaders
        for (day, _), blid in schedules[n].by_slot.items()
        if -HISTORY_DAYS < day <= 0
    }
    people, edges, unresolved, rows = set(uploaders), set(), set(), 0
    for n in uploaders:
        for row in logs[n]:
            rows += 1
            owner = blid_owner.get(row.contact)
            if owner is None:
                unresolved.add(row.contact)
            else:
                edges.add(frozenset((n, owner)))
    # This protocol: one TEK opens its own day's 144 identifiers; 14 TEKs, 14 unlinked days.
    tek = rng.randbytes(16)
    one_day = {derive_rpi(tek, 2_900_000 + i) for i in range(144)}
    return LeakFigures(
        phones=count,
        reporter_installed_days_before=reporter.installed_days_before,
        reporter_broadcast=len(before_report),
        linked_by_push=len(by_push),
        linked_by_push_before_report=len(by_push & before_report),
        linked_by_base_key=len(by_base & before_report),
        linked_by_one_tek=len(one_day),
        recognised_by_all_teks=HISTORY_DAYS * len(one_day),
        linked_after_report_2020=len(by_push - before_report),
        linked_after_report_here=0,
        matched_phones=len(matched),
        uploaded_base_keys=len(uploaders),
        uploaded_rows=rows,
        people_in_graph=len(people),
        resolved_edges=len(edges),
        unresolved_contact_blids=len(unresolved),
        graph_people_here=0,
    )


def _sightings_for(rows: Sequence[Row], first_day: int) -> list[LegacySighting]:
    """A phone's log as the check reads it; times shifted so the push starts at 0."""
    start = first_day * DAY
    return [LegacySighting(r.contact, r.time_s - start) for r in rows if r.time_s >= start]


def table(figures: LeakFigures) -> str:
    """The figures as a text table: what an observer learns, 2020 flow against this protocol."""
    f = figures
    lines = [
        f"A town of {f.phones} phones; the reporter installed the 2020 app "
        f"{f.reporter_installed_days_before} days before reporting and broadcast "
        f"{f.reporter_broadcast} BLIDs until then.",
        "",
        f"{'what the observer learns':58} {'2020 flow':>10} {'this protocol':>14}",
        f"{'reporter identifiers tied to one another: any phone':58} "
        f"{f.linked_by_push_before_report:>10} {f.linked_by_one_tek:>14}",
        f"{'  ... the server':58} {f.linked_by_base_key:>10} {f.linked_by_one_tek:>14}",
        f"{'  ... broadcast in the 30 days after the report':58} "
        f"{f.linked_after_report_2020:>10} {f.linked_after_report_here:>14}",
        f"{'reporter identifiers recognisable at all (own days apart)':58} "
        f"{f.linked_by_base_key:>10} {f.recognised_by_all_teks:>14}",
        f"{'phones that upload (reporter and matched contacts)':58} "
        f"{f.uploaded_base_keys:>10} {1:>14}",
        f"{'contact history rows uploaded (own, other, RSSI, time)':58} "
        f"{f.uploaded_rows:>10} {0:>14}",
        f"{'people in the contact graph the server can draw':58} "
        f"{f.people_in_graph:>10} {f.graph_people_here:>14}",
        f"{'  person-to-person edges':58} {f.resolved_edges:>10} {0:>14}",
        f"{'  other people identifiers with time and RSSI':58} "
        f"{f.unresolved_contact_blids:>10} {0:>14}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures of one seeded run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.phones, args.seed)
    print(json.dumps(asdict(figures), indent=2) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
