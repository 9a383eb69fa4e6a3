"""`bluezone demo`: four full nodes on a simulated BLE link, and the F0 -> F1 -> F2 chain.

Alice, Bob, Carol and Dave each run the real node (`bluezone.reference_node.node.runtime`)
on a bumble virtual controller, on a virtual-time event loop, so hours take seconds:

- 10:00 UTC: all four switch on. Bob sits 1.5 m from Alice; Carol 8 m from Alice; Dave is
  elsewhere.
- 10:40: Bob leaves Alice and sits 1.5 m from Dave, who never meets Alice.
- 11:20: Alice tests positive (F0). Her node cuts today's key and starts a new one (KS-13);
  the radios are switched off here to keep the demo short.
- once the 2-hour embargo is over (KS-12): the health authority publishes her key in a
  signed export file (a demo signing key made for this run), padded with random keys. Bob's,
  Carol's and Dave's nodes check: Bob is F1 (RISK-59).
- the authority verifies Bob as a close contact and gives him a recursive code for that day
  (SRV-20); his node reports, and after the embargo his keys from that day on are published
  as RECURSIVE (SRV-21). Dave's node says F2; Carol's nothing. Nobody tells Dave to report
  (SRV-22).
- Bob's test is negative: a revision turns his keys to REVOKED in a new file (SRV-24,
  SRV-25), and Dave's F2 alert is withdrawn, saying why (MATCH-11, RISK-61).

A narrator, who unlike any real party holds every node's keys, then says who heard whom.
`play` returns a `DemoResult`; `demo_text` prints it. Bob's HCI traffic is written to a
btsnoop file that Wireshark opens.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import datetime
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bluezone.protocol import params
from bluezone.protocol.export import (
    ExportKey,
    ExportPayload,
    ExportSigner,
    SignatureInfo,
    sign_export,
)
from bluezone.protocol.keys import derive_rpis, interval_number
from bluezone.protocol.revisions import split_recursive
from bluezone.reference_node.node.check import CheckOutcome
from bluezone.reference_node.node.key_source import DirectoryKeySource, TrustedKey
from bluezone.reference_node.node.runtime import Node, NodeCalibration, NodeConfig, Rotation
from bluezone.reference_node.radio.btsnoop import BtSnoopWriter
from bluezone.reference_node.radio.bumble_radio import BumbleRadio
from bluezone.reference_node.radio.channel import Channel, PathLossModel, Placement, Position
from bluezone.reference_node.radio.virtual import VirtualController, VirtualLink
from bluezone.reference_node.store import AsyncStore, StoredScan, StoredSighting
from bluezone.reference_node.vtime import clock as vclock
from bluezone.reference_node.vtime.inline import open_inline_store

START = datetime.datetime(2025, 11, 23, 10, 0, tzinfo=datetime.UTC)
BOB_LEAVES_S = 40 * 60
DIAGNOSIS_S = 80 * 60
CHECK_DELAY_S = 5 * 60  # the checks run a little after the file is published
PADDING_KEYS = 9
DEFAULT_BTSNOOP = "bluezone-demo.btsnoop"
CAPTURED_NODE = "bob"
FAR_AWAY = Position(500.0, 0.0)
# The channel: received power at 1 m, path loss exponent, shadowing per advertisement.
RSSI_AT_1M_DBM = -59.0
CHANNEL = PathLossModel(exponent=2.0, shadowing_sigma_db=4.0, sensitivity_dbm=-100.0)
# Every node advertises this TX power: 55 dB attenuation at 1 m on this channel, close to
# the 55.3 dB phones measured at 1 m in the NHS trials (spec RISK-57).
CALIBRATION = NodeCalibration(tx_power_dbm=-4, rssi_correction_db=0, confidence=0)
POSITIONS = {
    "alice": Position(0.0, 0.0),
    "bob": Position(1.5, 0.0),
    "carol": Position(0.0, 8.0),
    "dave": Position(3000.0, 0.0),
}
# Where Bob sits after he leaves Alice: 1.5 m from Dave, out of Alice's and Carol's range.
BOB_BESIDE_DAVE = Position(3001.5, 0.0)
ROLES = {
    "alice": "tested positive: the confirmed case (F0)",
    "bob": "sat beside Alice: a close contact (F1), verified by the authority, who reports",
    "carol": "sat 8 m from Alice, met nobody else",
    "dave": "sat beside Bob, never near Alice: a contact of a contact (F2)",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Heard:
    """What the narrator sees in a receiver's store: one sender's sightings."""

    receiver: str
    sender: str
    sightings: int
    scans: int
    first_s: float
    last_s: float
    mean_rssi_dbm: float
    mean_attenuation_db: float
    expected_attenuation_db: float | None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "receiver": self.receiver,
            "sender": self.sender,
            "sightings": self.sightings,
            "scans": self.scans,
            "first_heard": _iso(self.first_s),
            "last_heard": _iso(self.last_s),
            "minutes": round((self.last_s - self.first_s) / 60, 1),
            "mean_rssi_dbm": round(self.mean_rssi_dbm, 1),
            "mean_attenuation_db": round(self.mean_attenuation_db, 1),
            "expected_attenuation_db": self.expected_attenuation_db,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class DemoResult:
    """Everything the demo shows, as data."""

    seed: int | None
    events: tuple[tuple[float, str], ...]
    on_air: dict[str, dict[str, int]]
    heard: tuple[Heard, ...]
    published: dict[str, Any]
    checks: dict[str, CheckOutcome]
    btsnoop: dict[str, Any]
    simulated_s: float
    wall_s: float
    chain: tuple[dict[str, Any], ...] = ()
    timelines: dict[str, tuple[dict[str, Any], ...]] = dataclasses.field(default_factory=dict)

    def people(self) -> list[dict[str, Any]]:
        """Each person's level as it stands at the end, and how it got there (RISK-59)."""
        return [
            {
                "name": name,
                "role": ROLES[name],
                "level": steps[-1]["level"] if steps else "none",
                "timeline": list(steps),
            }
            for name, steps in self.timelines.items()
        ]

    def to_json(self) -> dict[str, Any]:
        """The demo as one JSON object."""
        checks = {name: outcome.assessment.to_json() for name, outcome in self.checks.items()}
        return {
            "scenario": scenario_json(),
            "seed": self.seed,
            "events": [{"time": _iso(t), "what": what} for t, what in self.events],
            "on_air": self.on_air,
            "heard": [h.to_json() for h in self.heard],
            "published": self.published,
            "checks": checks,
            "verdicts": {
                name: {
                    "exposed": outcome.assessment.exposed,
                    "exposed_proximity": outcome.assessment.exposed_proximity,
                }
                for name, outcome in self.checks.items()
            },
            "chain": list(self.chain),
            "people": self.people(),
            "btsnoop": self.btsnoop,
            "timing": {"simulated_s": self.simulated_s, "wall_s": round(self.wall_s, 3)},
        }


def scenario_json() -> dict[str, Any]:
    """The fixed setting of the demo."""
    return {
        "start": _iso(START.timestamp()),
        "nodes": {
            name: {"position_m": [p.x, p.y], "tx_power_dbm": CALIBRATION.tx_power_dbm}
            for name, p in POSITIONS.items()
        },
        "channel": {
            "model": "log-distance path loss with log-normal shadowing",
            "rssi_at_1m_dbm": RSSI_AT_1M_DBM,
            "path_loss_exponent": CHANNEL.exponent,
            "shadowing_sigma_db": CHANNEL.shadowing_sigma_db,
            "sensitivity_dbm": CHANNEL.sensitivity_dbm,
        },
        "calibration": dataclasses.asdict(CALIBRATION),
        "duty_cycle": NodeConfig().duty_cycle.describe(),
    }


def _iso(unix_s: float) -> str:
    return datetime.datetime.fromtimestamp(int(unix_s), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_source(seed: int | None, name: str) -> Callable[[int], bytes]:
    # A seeded run repeats exactly; otherwise keys come from the OS CSPRNG (spec KS-1).
    if seed is None:
        return secrets.token_bytes
    return random.Random(f"bluezone-demo:{seed}:{name}").randbytes


class _Cast:
    """The three nodes, their radios and stores, and what the demo records of them."""

    def __init__(self, seed: int | None, data_dir: Path, snoop: BtSnoopWriter) -> None:
        channel_rng = random.Random(f"bluezone-demo:{seed}:channel") if seed is not None else None
        self.channel = Channel(CHANNEL, channel_rng or random.Random())
        for name, position in POSITIONS.items():
            self.channel.place(name, Placement(position, RSSI_AT_1M_DBM))
        self.link = VirtualLink(self.channel)
        self.keys_dir = data_dir / "published"
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        public_pem = self.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        source = DirectoryKeySource(self.keys_dir, TrustedKey.from_pem(public_pem))
        self.padding_bytes = _random_source(seed, "padding")
        self.rotations: dict[str, list[Rotation]] = {name: [] for name in POSITIONS}
        self.stores: dict[str, AsyncStore] = {}
        self.nodes: dict[str, Node] = {}
        for name in POSITIONS:
            controller = VirtualController(name, self.link)
            radio = BumbleRadio.from_controller(
                controller, snoop=snoop if name == CAPTURED_NODE else None
            )
            store = open_inline_store(data_dir / name)
            self.stores[name] = store
            self.nodes[name] = Node(
                NodeConfig(name=name, calibration=CALIBRATION, status_interval_s=None),
                radio=radio,
                store=store,
                key_source=source,
                random_bytes=_random_source(seed, name),
                on_rotation=self.rotations[name].append,
            )

    async def close(self) -> None:
        for store in self.stores.values():
            await store.close()


async def play(seed: int | None, data_dir: Path, btsnoop: Path) -> DemoResult:
    """Play the scenario on the running (virtual-time) loop and return what happened."""
    clock = vclock.current_clock()
    started_wall = time.perf_counter()
    events: list[tuple[float, str]] = []
    with BtSnoopWriter.open(btsnoop) as snoop:
        cast = _Cast(seed, data_dir, snoop)
        try:
            for node in cast.nodes.values():
                await node.start()
            events.append((clock.wall(), "Alice, Bob, Carol and Dave switch their nodes on"))
            await asyncio.sleep(BOB_LEAVES_S)
            cast.channel.move("bob", BOB_BESIDE_DAVE)
            events.append((clock.wall(), "Bob leaves Alice and sits down beside Dave"))
            await asyncio.sleep(DIAGNOSIS_S - BOB_LEAVES_S)
            await cast.nodes["alice"].report()
            timelines: dict[str, list[dict[str, Any]]] = {name: [] for name in POSITIONS}
            _step(timelines, "alice", "F0", "tested positive and reported")
            events.append(
                (clock.wall(), "Alice tests positive; her node cuts today's key and re-keys")
            )
            for node in cast.nodes.values():
                await node.stop()
            events.append((clock.wall(), "the radios are switched off"))
            published = await _publish(cast, events)
            await asyncio.sleep(CHECK_DELAY_S)
            checks = {}
            for name in ("bob", "carol", "dave"):
                checks[name] = await cast.nodes[name].check_exposures()
            events.append((clock.wall(), "Bob's, Carol's and Dave's nodes check for exposures"))
            chain = [_stage("Alice's key is published (confirmed test)", checks, timelines)]
            chain += await _trace_bob(cast, events, checks["bob"], timelines)
            heard = await _narrate(cast)
            on_air = {
                name: {
                    "rotations": node.rotations,
                    "advertisements_sent": cast.link.advertisements_sent[name],
                    "scans": node.scans,
                    "sightings": node.sightings,
                }
                for name, node in cast.nodes.items()
            }
        finally:
            await cast.close()
        packets = snoop.packets
    return DemoResult(
        seed=seed,
        events=tuple(events),
        on_air=on_air,
        heard=heard,
        published=published,
        checks=checks,
        btsnoop={"path": str(btsnoop), "node": CAPTURED_NODE, "packets": packets},
        simulated_s=round(clock.wall() - START.timestamp(), 3),
        wall_s=time.perf_counter() - started_wall,
        chain=tuple(chain),
        timelines={name: tuple(steps) for name, steps in timelines.items()},
    )


def _step(timelines: dict[str, list[dict[str, Any]]], name: str, level: str, why: str) -> None:
    """Add a level to a person's timeline when it changed."""
    steps = timelines[name]
    if not steps or steps[-1]["level"] != level:
        clock = vclock.current_clock()
        steps.append({"time": _iso(clock.wall()), "level": level, "why": why})


def _stage(
    what: str, checks: dict[str, CheckOutcome], timelines: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """One step of the chain: what happened, and each checking node's level after it."""
    levels = {}
    for name, outcome in checks.items():
        levels[name] = {
            "level": outcome.level,
            **outcome.assessment.level_json(),
            "change": None if outcome.change is None else outcome.change.to_json(),
        }
        change = outcome.change
        why = (
            f"{change.change} ({change.reason})"
            if change is not None
            else "no exposure reached a threshold"
        )
        _step(timelines, name, outcome.level, why)
    return {"time": _iso(vclock.current_clock().wall()), "what": what, "levels": levels}


async def _trace_bob(
    cast: _Cast,
    events: list[tuple[float, str]],
    bob_check: CheckOutcome,
    timelines: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Bob's recursive report, Dave's F2 warning, and Bob's negative test (SRV-20..SRV-25)."""
    clock = vclock.current_clock()
    level = bob_check.assessment.level
    assert level is not None and level.day is not None, "Bob must be F1 for the chain"
    exposure_interval = level.day * params.INTERVALS_PER_DAY
    await cast.nodes["bob"].report()
    events.append(
        (
            clock.wall(),
            "the authority verifies Bob as Alice's close contact and gives him a recursive code"
            " for that day; his node reports and re-keys",
        )
    )
    keys = await _after_embargo(cast, "bob")
    split = split_recursive([stored.key for _, stored in keys], exposure_interval)  # SRV-21
    recursive = [
        ExportKey(
            keys[i][1].key.key_data,
            keys[i][1].key.rolling_start,
            keys[i][1].key.rolling_period,
            report_type=params.REPORT_TYPE_RECURSIVE,
            # the code's onset is the day of contact, so infectiousness counts from it
            days_since_onset_of_symptoms=keys[i][1].key.rolling_start // params.INTERVALS_PER_DAY
            - level.day,
        )
        for i in split.kept
    ]
    _write_export(cast, "demo-export-2.zip", recursive, padding_type=params.REPORT_TYPE_RECURSIVE)
    for report_id, stored in keys:
        await cast.stores["bob"].mark_uploaded(report_id, [stored.key_id], clock.wall())
    events.append(
        (
            clock.wall(),
            f"Bob's {len(recursive)} key(s) from the day of contact on are published as"
            f" RECURSIVE ({len(split.dropped)} earlier key(s) left out)",
        )
    )
    await asyncio.sleep(CHECK_DELAY_S)
    checks = {name: await cast.nodes[name].check_exposures() for name in ("bob", "carol", "dave")}
    events.append((clock.wall(), "the nodes check again: Dave is warned as F2"))
    stages = [_stage("Bob's keys are published as RECURSIVE", checks, timelines)]
    revoked = tuple(
        dataclasses.replace(key, report_type=params.REPORT_TYPE_REVOKED) for key in recursive
    )
    _write_export(cast, "demo-export-3.zip", [], revised=revoked)
    events.append(
        (
            clock.wall(),
            "Bob's test is negative: a revision republishes his keys as REVOKED in a new file",
        )
    )
    await asyncio.sleep(CHECK_DELAY_S)
    checks = {name: await cast.nodes[name].check_exposures() for name in ("bob", "carol", "dave")}
    events.append((clock.wall(), "the nodes check again: Dave's F2 alert is withdrawn"))
    stages.append(_stage("Bob's keys are revised to REVOKED", checks, timelines))
    return stages


async def _after_embargo(cast: _Cast, name: str) -> list:
    """Wait until a node's reported keys are past their embargo; return them (KS-12)."""
    clock = vclock.current_clock()
    reports = await cast.stores[name].reports()
    reported = [k.key for report in reports for k in report.keys if k.uploaded_wall_time is None]
    due = max(k.key.end_interval for k in reported) + params.EMBARGO_INTERVALS
    await asyncio.sleep(max(0.0, due * params.INTERVAL_SECONDS - clock.wall()))
    return await cast.nodes[name].identity.keys_due_for_upload(clock.wall())


def _write_export(
    cast: _Cast,
    file_name: str,
    keys: list[ExportKey],
    *,
    revised: tuple[ExportKey, ...] = (),
    padding_type: int = params.REPORT_TYPE_CONFIRMED_TEST,
) -> None:
    """Sign and write one export file, its keys padded with random keys (SRV-9 in small)."""
    clock = vclock.current_clock()
    now = int(clock.wall())
    day = interval_number(now) - interval_number(now) % params.INTERVALS_PER_DAY
    padding = [
        ExportKey(
            cast.padding_bytes(params.TEK_LENGTH),
            day - (n + 1) * params.INTERVALS_PER_DAY,
            params.MAX_ROLLING_PERIOD,
            report_type=padding_type,
        )
        for n in range(PADDING_KEYS)
    ]
    shuffled = keys + padding
    random.Random(cast.padding_bytes(8)).shuffle(shuffled)
    payload = ExportPayload(
        start_timestamp=(day - 14 * params.INTERVALS_PER_DAY) * params.INTERVAL_SECONDS,
        end_timestamp=now,
        region="demo",
        keys=tuple(shuffled),
        revised_keys=revised,
    )
    signer = ExportSigner(
        SignatureInfo("demo", "v1"),
        lambda data: cast.signing_key.sign(data, ec.ECDSA(hashes.SHA256())),
    )
    (cast.keys_dir / file_name).write_bytes(sign_export(payload, [signer]).to_zip())


async def _publish(cast: _Cast, events: list[tuple[float, str]]) -> dict[str, Any]:
    """After the embargo, publish Alice's reported keys in a signed, padded export file."""
    clock = vclock.current_clock()
    alice = cast.nodes["alice"]
    reports = await cast.stores["alice"].reports()
    reported = [reported.key for report in reports for reported in report.keys]
    due = max(k.key.end_interval for k in reported) + params.EMBARGO_INTERVALS  # spec KS-12
    await asyncio.sleep(max(0.0, due * params.INTERVAL_SECONDS - clock.wall()))
    uploads = await alice.identity.keys_due_for_upload(clock.wall())
    draw = cast.padding_bytes
    keys = [
        ExportKey(
            stored.key.key_data,
            stored.key.rolling_start,
            stored.key.rolling_period,
            report_type=params.REPORT_TYPE_CONFIRMED_TEST,
            days_since_onset_of_symptoms=0,  # symptoms began the day of the contact
        )
        for _, stored in uploads
    ]
    first = min(k.rolling_start_interval_number for k in keys)
    # Padding keys look like whole-day keys of the days before, as real ones would.
    day = first - first % params.INTERVALS_PER_DAY
    padding = [
        ExportKey(
            draw(params.TEK_LENGTH),
            day - (n + 1) * params.INTERVALS_PER_DAY,
            params.MAX_ROLLING_PERIOD,
            report_type=params.REPORT_TYPE_CONFIRMED_TEST,
        )
        for n in range(PADDING_KEYS)
    ]
    shuffled = keys + padding
    random.Random(draw(8)).shuffle(shuffled)
    now = int(clock.wall())
    payload = ExportPayload(
        start_timestamp=first * params.INTERVAL_SECONDS,
        end_timestamp=now,
        region="demo",
        keys=tuple(shuffled),
    )
    signer = ExportSigner(
        SignatureInfo("demo", "v1"),
        lambda data: cast.signing_key.sign(data, ec.ECDSA(hashes.SHA256())),
    )
    path = cast.keys_dir / "demo-export-1.zip"
    path.write_bytes(sign_export(payload, [signer]).to_zip())
    for report_id, stored in uploads:
        await cast.stores["alice"].mark_uploaded(report_id, [stored.key_id], clock.wall())
    events.append(
        (clock.wall(), "the embargo is over: Alice's key is published in a signed export file")
    )
    return {
        "published_at": _iso(clock.wall()),
        "reported_keys": len(keys),
        "padding_keys": PADDING_KEYS,
        "file": path.name,
        "signature": "ECDSA P-256 / SHA-256 with a signing key made for this run",
        "report_type": "confirmed_test",
        "days_since_onset_of_symptoms": 0,
    }


async def _narrate(cast: _Cast) -> tuple[Heard, ...]:
    """Who heard whom, read from every store with every node's keys (only a narrator can)."""
    owner: dict[bytes, str] = {}
    for name, store in cast.stores.items():
        for stored in await store.own_keys():
            key = stored.key
            for rpi in derive_rpis(key.key_data, key.rolling_start, key.rolling_period):
                owner[rpi] = name
    heard = []
    for receiver, store in cast.stores.items():
        by_sender: dict[str, list[StoredSighting]] = {}
        for sighting in await store.sightings():
            sender = owner.get(sighting.rpi)
            if sender is not None and sender != receiver:
                by_sender.setdefault(sender, []).append(sighting)
        scans = await store.scans()
        for sender in POSITIONS:
            if sender in by_sender:
                heard.append(_heard(receiver, sender, by_sender[sender], scans))
    return tuple(heard)


def _heard(
    receiver: str, sender: str, sightings: list[StoredSighting], scans: list[StoredScan]
) -> Heard:
    starts = [scan.start_wall_time for scan in scans]
    in_scans = {bisect.bisect_right(starts, s.wall_time) for s in sightings}
    rssis = [s.rssi for s in sightings if s.rssi is not None]
    correction = CALIBRATION.rssi_correction_db
    distance = POSITIONS[sender].distance_to(POSITIONS[receiver])
    expected = CALIBRATION.tx_power_dbm - (CHANNEL.mean_rssi(RSSI_AT_1M_DBM, distance) + correction)
    return Heard(
        receiver=receiver,
        sender=sender,
        sightings=len(sightings),
        scans=len(in_scans),
        first_s=min(s.wall_time for s in sightings),
        last_s=max(s.wall_time for s in sightings),
        mean_rssi_dbm=statistics.fmean(rssis),
        mean_attenuation_db=statistics.fmean(
            CALIBRATION.tx_power_dbm - (r + correction) for r in rssis
        ),
        expected_attenuation_db=round(expected, 1),
    )


def run(
    seed: int | None = None,
    btsnoop: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> DemoResult:
    """Run the demo on a fresh virtual-time loop; stores go to ``data_dir`` (else a temp dir).

    ``btsnoop`` is where Bob's HCI capture goes (default: bluezone-demo.btsnoop here).
    """
    capture = Path(btsnoop if btsnoop is not None else DEFAULT_BTSNOOP)
    started = time.perf_counter()
    if data_dir is not None:
        result = vclock.run(play(seed, Path(data_dir), capture), wall_start=START.timestamp())
    else:
        with tempfile.TemporaryDirectory(prefix="bluezone-demo-") as tmp:
            result = vclock.run(play(seed, Path(tmp), capture), wall_start=START.timestamp())
    return dataclasses.replace(result, wall_s=time.perf_counter() - started)
