"""The reference node: an asyncio runtime that advertises, scans, stores and checks exposures.

A `Node` drives one `Radio` with one `AsyncStore`:

- Identity: the current temporary exposure key comes from `AsyncDeviceIdentity` (a new one
  at each UTC midnight and after a report, stored durably before use; spec KS-3, KS-13).
- Rotation: at every interval boundary plus a fresh random delay of 0-60 s, the identifier
  of the new interval and a new non-resolvable private address go on air together through
  `Radio.set_advertisement` (spec ADV-1, ADV-2, ADV-3, KS-6, KS-8); also at start and at
  once after a report.
- Scanning: on a duty cycle (4 s every 2-5 minutes by default, or continuous); each scan's
  sightings are decoded (invalid adverts counted and dropped) and stored with the scan
  record in one transaction (spec ADV-13, ADV-14, RISK-4).
- Exposure check: on request or on a timer, through a `KeySource` (`check.run_check`).
- Reports: `report_to_server` re-keys at once and exchanges the code (KS-13, SRV-4); the
  upload loop sends each report's keys once their embargo is over (KS-12, SRV-7), from
  the store, so uploads a restart interrupted are made when the node runs again.
- Retention: a prune at start and after every UTC midnight (spec MATCH-6, KS-11).

Time comes from a `Clock` (the running loop's by default: virtual under
`vclock.VirtualTimeEventLoop`) and randomness from ``random_bytes``, so a simulated day
runs in seconds and a seeded run repeats exactly. Logs never carry key material or full
identifiers.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import enum
import logging
import secrets
from collections.abc import Callable

from bluezone.protocol import params
from bluezone.protocol.keys import interval_number
from bluezone.protocol.params import CHAFF_RANDOM_BYTES
from bluezone.protocol.upload import chaff_schedule
from bluezone.reference_node.errors import KeySourceError, NodeStateError
from bluezone.reference_node.node.check import CheckOutcome, run_check
from bluezone.reference_node.node.config import (
    DEFAULT_RSSI_CORRECTION_DB,
    DEFAULT_TX_POWER_DBM,
    NodeCalibration,
    NodeConfig,
    Rotation,
    ScanSummary,
)
from bluezone.reference_node.node.exposure import RiskSettings
from bluezone.reference_node.node.identity import AsyncDeviceIdentity
from bluezone.reference_node.node.key_source import KeySource
from bluezone.reference_node.node.log import (
    LOGGER_NAME,
    NodeStatus,
    clock_time,
    short_address,
    short_id,
)
from bluezone.reference_node.node.reporting import (
    ClientFactory,
    Reporter,
    check_code,
    default_client,
)
from bluezone.reference_node.node.rotation import (
    AddressSource,
    advertising_payload,
    change_time,
    rotation_delay,
    uniform_fraction,
)
from bluezone.reference_node.node.scanning import OUTSIDE_SCAN, ScanBuffer
from bluezone.reference_node.radio.base import Radio, Sighting
from bluezone.reference_node.server.errors import ClientError
from bluezone.reference_node.store import (
    AsyncStore,
    PruneResult,
    ScanRecord,
    SightingRecord,
    Store,
    StoredReport,
    StoredUpload,
)
from bluezone.reference_node.vtime.clock import Clock, VirtualTimeEventLoop, current_clock
from bluezone.reference_node.vtime.inline import InlineExecutor

__all__ = [
    "DEFAULT_RSSI_CORRECTION_DB",
    "DEFAULT_TX_POWER_DBM",
    "Node",
    "NodeCalibration",
    "NodeConfig",
    "Rotation",
    "ScanSummary",
]

log = logging.getLogger(LOGGER_NAME)

RandomBytes = Callable[[int], bytes]

# Long waits are cut into steps this long so that a wall clock set forward is noticed.
CLOCK_CHECK_S = 60.0
# Prune this long after each UTC midnight (spec MATCH-6, KS-11).
PRUNE_DELAY_S = 60.0
# The status line's sightings-per-minute rate covers the scans of this many seconds.
RATE_WINDOW_S = 600.0
# An upload that failed for a reason worth retrying (network, rate limit) is retried after.
UPLOAD_RETRY_S = 60.0


class _State(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Node:
    """One node on one radio and one store (see the module docstring).

    Start it with ``async with node:`` or `start`; `wait` returns once `request_stop` was
    called (a signal handler calls it) or a part of the node failed, after a clean stop.
    The caller owns the store and closes it after the node stopped; the node owns the
    radio from `start` on and closes it in `stop`. ``executor`` runs exposure checks
    (default: inline under virtual time, else the loop's thread pool);
    ``client_factory(url)`` makes the key-server clients reports are sent with.
    """

    def __init__(
        self,
        config: NodeConfig,
        *,
        radio: Radio,
        store: AsyncStore,
        key_source: KeySource | None = None,
        clock: Clock | None = None,
        random_bytes: RandomBytes = secrets.token_bytes,
        executor: concurrent.futures.Executor | None = None,
        on_rotation: Callable[[Rotation], None] | None = None,
        on_scan: Callable[[ScanSummary], None] | None = None,
        on_status: Callable[[NodeStatus], None] | None = None,
        client_factory: ClientFactory = default_client,
    ) -> None:
        self.config = config
        self.radio = radio
        self.store = store
        self.key_source = key_source
        self.risk = config.risk or RiskSettings.defaults()
        self.identity = AsyncDeviceIdentity(store, random_bytes)
        self.reporter = Reporter(store, client_factory=client_factory, random_bytes=random_bytes)
        self._client_factory = client_factory
        self._uploads_changed = asyncio.Event()
        self._clock = clock
        self._random_bytes = random_bytes
        self._executor = executor
        self._on_rotation = on_rotation
        self._on_scan = on_scan
        self._on_status = on_status
        self._metadata = config.calibration.metadata()
        self._addresses = AddressSource(random_bytes)
        self._state = _State.NEW
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_requested = asyncio.Event()
        self._failure: BaseException | None = None
        self._rotation_lock = asyncio.Lock()
        self._check_lock = asyncio.Lock()
        self._stream = None
        self._scan: ScanBuffer | None = None
        self._radio_scanning = False
        self._started_monotonic = 0.0
        self.on_air: Rotation | None = None
        self.rotations = 0
        self.scans = 0
        self.sightings = 0
        self.dropped: collections.Counter[str] = collections.Counter()
        self.mismatched_pairs = 0
        self.exposure_checks = 0
        self.chaff_sent = 0
        self._peers_last_scan = 0
        self._recent_scans: collections.deque[tuple[float, int]] = collections.deque()

    # -- life cycle --------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The node's clock (the running loop's unless one was given)."""
        if self._clock is None:
            self._clock = current_clock()
        return self._clock

    @property
    def running(self) -> bool:
        """Whether the node is started and not stopping."""
        return self._state is _State.RUNNING

    async def start(self) -> None:
        """Start the radio, put the first identifier on air and start the node's tasks."""
        if self._state is not _State.NEW:
            raise NodeStateError(f"a node starts once (it is {self._state.value})")
        self._state = _State.RUNNING
        self._started_monotonic = self.clock.monotonic()
        try:
            await self.radio.start()
            self._stream = self.radio.sightings()
            self._announce_radio()
            await self._rotate()
        except BaseException:
            self._state = _State.STOPPED
            await self.radio.close()
            raise
        self._spawn(self._consume_sightings(), "sightings")
        self._spawn(self._rotation_loop(), "rotation")
        self._spawn(self._scan_loop(), "scanning")
        self._spawn(self._maintenance_loop(), "retention")
        self._spawn(self._upload_loop(), "uploads")
        if self.config.status_interval_s is not None:
            self._spawn(self._status_loop(self.config.status_interval_s), "status")
        if self.config.check_interval_s is not None and self.key_source is not None:
            self._spawn(self._check_loop(self.config.check_interval_s), "exposure check")
        if self.config.chaff_server is not None and self.config.chaff_every_s is not None:
            self._spawn(
                self._chaff_loop(self.config.chaff_server, self.config.chaff_every_s), "chaff"
            )
        log.info(
            "%s: node started (%s radio, scanning %s)",
            self.config.name,
            self.radio.backend,
            self.config.duty_cycle.describe(),
            extra={
                "event": "node_started",
                "fields": {"node": self.config.name, "backend": self.radio.backend},
            },
        )

    def request_stop(self) -> None:
        """Ask the node to stop (safe from a signal handler); `wait` then stops it."""
        self._stop_requested.set()

    async def wait(self) -> None:
        """Wait for `request_stop` or a failure, then stop cleanly; re-raise a failure."""
        await self._stop_requested.wait()
        await self.stop()
        if self._failure is not None:
            raise self._failure

    async def stop(self) -> None:
        """Stop the tasks, store the open scan, close the radio. Idempotent."""
        if self._state is _State.NEW:
            self._state = _State.STOPPED
            return
        if self._state is not _State.RUNNING:
            return
        self._state = _State.STOPPING
        self._stop_requested.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            if self._scan is not None:
                await self._close_scan()
        finally:
            await self.radio.close()
            self._state = _State.STOPPED
            log.info(
                "%s: node stopped after %d rotations, %d scans, %d sightings",
                self.config.name,
                self.rotations,
                self.scans,
                self.sightings,
                extra={"event": "node_stopped", "fields": self.status().to_json()},
            )

    async def __aenter__(self) -> Node:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _spawn(self, coroutine, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{self.config.name} {name}")
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._state is not _State.RUNNING:
            return
        error = task.exception()
        if error is not None and self._failure is None:
            self._failure = error
            log.error(
                "node %s: %s failed: %r",
                self.config.name,
                task.get_name(),
                error,
                extra={"event": "node_failed", "fields": {"task": task.get_name()}},
            )
        self._stop_requested.set()

    def _announce_radio(self) -> None:
        capabilities = self.radio.capabilities
        if self.config.advertise and not capabilities.can_advertise:
            log.warning("the %s radio cannot advertise: scanning only", self.radio.backend)
        elif self.config.advertise and not capabilities.controls_address:
            log.warning(
                "the %s radio does not control the advertising address: "
                "identifier and address may not change together (spec ADV-3)",
                self.radio.backend,
            )
        if not capabilities.passive_scanning:
            log.warning(
                "the %s radio can only scan actively: it sends scan requests (spec ADV-13)",
                self.radio.backend,
            )

    # -- advertising (spec ADV-1, ADV-3) -----------------------------------------------

    @property
    def advertising(self) -> bool:
        """Whether this node puts identifiers on air."""
        return self.config.advertise and self.radio.capabilities.can_advertise

    async def _rotate(self) -> Rotation:
        """Put the current interval's identifier on air from a new address (spec ADV-3)."""
        async with self._rotation_lock:
            now = self.clock.wall()
            interval = interval_number(now)
            key = await self.identity.current_key(now)
            payload = advertising_payload(
                key.key_data, interval, self._metadata, flags=self.config.advertisement_flags
            )
            address = self._addresses.draw()
            if self.advertising:
                await self.radio.set_advertisement(payload.ad, address)
            rotation = Rotation(
                now, interval, key.rolling_start, payload.rpi, address, payload.ad, self.advertising
            )
            self.on_air = rotation
            self.rotations += 1
        log.info(
            "rotation at %s: interval %d, identifier %s, address %s",
            clock_time(now),
            interval,
            short_id(payload.rpi),
            short_address(address),
            extra={
                "event": "rotation",
                "fields": {
                    "node": self.config.name,
                    "wall_time": now,
                    "interval": interval,
                    "identifier": short_id(payload.rpi),
                    "address": short_address(address),
                },
            },
        )
        if self._on_rotation is not None:
            self._on_rotation(rotation)
        return rotation

    async def _rotation_loop(self) -> None:
        while True:
            assert self.on_air is not None
            # spec ADV-3: a fresh delay for every boundary.
            due = change_time(self.on_air.interval + 1, rotation_delay(self._random_bytes(4)))
            await self._sleep_until(due)
            await self._rotate()

    async def _sleep_until(self, wall_time: float) -> None:
        while (remaining := wall_time - self.clock.wall()) > 0:
            await asyncio.sleep(min(remaining, CLOCK_CHECK_S))

    # -- reports (spec KS-13) ------------------------------------------------------------

    async def report(self, first_interval: int | None = None) -> StoredReport:
        """Record a report and re-key at once (spec KS-13); return the stored report.

        When the node is running, the new key's identifier goes on air before this returns.
        """
        report = await self.identity.report(self.clock.wall(), first_interval)
        if self.running:
            await self._rotate()
        return report

    async def report_to_server(self, code: str, server_url: str) -> StoredUpload | None:
        """Report with a health authority's code: re-key, then exchange the code (KS-13).

        The new key goes on air before the code is sent. The keys are uploaded together
        once the cut key's embargo is over (KS-12): at once when already due, else by the
        upload loop of the running node. Returns the upload (None when there was no key
        to upload); raises ReportError when the code or the upload is refused.
        """
        code = check_code(code)
        report = await self.report()
        upload = await self.reporter.submit(report, code, server_url, self.clock.wall())
        self._uploads_changed.set()
        return upload

    async def _upload_loop(self) -> None:
        """Upload each report's keys once due (KS-12, SRV-7), and retry what may succeed."""
        await self.reporter.abandon_interrupted()
        while True:
            self._uploads_changed.clear()
            tried = await self.reporter.upload_due(self.clock.wall())
            due = await self.reporter.next_due_s()
            if any(upload.state == "waiting" for upload in tried):
                due = self.clock.wall() + UPLOAD_RETRY_S
            await self._wait_for_uploads(due)

    async def _wait_for_uploads(self, due: float | None) -> None:
        """Sleep until ``due`` (unix seconds; None: no limit) or a new report, if sooner."""
        changed = asyncio.ensure_future(self._uploads_changed.wait())
        waits = [changed]
        if due is not None:
            waits.append(asyncio.ensure_future(self._sleep_until(due)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    # -- scanning (spec ADV-13, ADV-14, RISK-4) -----------------------------------------

    async def _consume_sightings(self) -> None:
        assert self._stream is not None
        async for sighting in self._stream:
            self._take(sighting)
        if self.running:
            raise NodeStateError(f"the {self.radio.backend} radio stopped delivering reports")

    def _take(self, sighting: Sighting) -> None:
        if self._scan is None:
            self.dropped[OUTSIDE_SCAN] += 1
        elif self._scan.add(sighting):
            self.sightings += 1

    def _drain(self) -> None:
        """Take every report the radio has queued (they were heard during the open scan)."""
        assert self._stream is not None
        while (sighting := self._stream.get_nowait()) is not None:
            self._take(sighting)

    async def _scan_loop(self) -> None:
        cycle = self.config.duty_cycle
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            self._scan = ScanBuffer(self.clock.wall())
            if not self._radio_scanning:
                await self.radio.start_scanning()
                self._radio_scanning = True
            await asyncio.sleep(max(0.0, started + cycle.window_s - loop.time()))
            if not cycle.continuous:
                await self.radio.stop_scanning()
                self._radio_scanning = False
            await self._close_scan()
            if not cycle.continuous:
                period = cycle.period(uniform_fraction(self._random_bytes(4)))
                await asyncio.sleep(max(0.0, started + period - loop.time()))

    async def _close_scan(self) -> None:
        self._drain()
        buffer, self._scan = self._scan, None
        if buffer is None:
            return
        peers = buffer.peers
        record = buffer.close(self.clock.wall())
        await self.store.run(_commit_scan, self.store.store, buffer.records, record)
        self.scans += 1
        self.dropped.update(buffer.dropped)
        self.mismatched_pairs += buffer.mismatches
        self._peers_last_scan = peers
        self._recent_scans.append((record.end_wall_time, record.sightings))
        summary = ScanSummary(record, peers, dict(buffer.dropped), buffer.mismatches)
        log.debug(
            "scan %s-%s: %d sightings from %d peers, %d dropped",
            clock_time(record.start_wall_time),
            clock_time(record.end_wall_time),
            record.sightings,
            peers,
            record.dropped,
            extra={
                "event": "scan",
                "fields": {
                    "node": self.config.name,
                    "start": record.start_wall_time,
                    "end": record.end_wall_time,
                    "sightings": record.sightings,
                    "peers": peers,
                    "dropped": dict(buffer.dropped),
                },
            },
        )
        if self._on_scan is not None:
            self._on_scan(summary)

    # -- retention, status, periodic checks --------------------------------------------

    async def prune(self) -> PruneResult:
        """Delete what is older than 14 days now (spec MATCH-6, KS-11)."""
        now = self.clock.wall()
        result = await self.store.prune(interval_number(now))
        log.info(
            "retention: pruned %d sightings, %d scans, %d keys",
            result.sightings,
            result.scans,
            result.keys,
            extra={
                "event": "prune",
                "fields": {
                    "node": self.config.name,
                    "wall_time": now,
                    "sightings": result.sightings,
                    "scans": result.scans,
                    "keys": result.keys,
                    "reports": result.reports,
                },
            },
        )
        return result

    async def _maintenance_loop(self) -> None:
        while True:
            await self.prune()
            now = self.clock.wall()
            midnight = (now // params.SECONDS_PER_DAY + 1) * params.SECONDS_PER_DAY
            await self._sleep_until(midnight + PRUNE_DELAY_S)

    def status(self) -> NodeStatus:
        """The node's counters now (what the status line shows)."""
        now = self.clock.wall()
        while self._recent_scans and self._recent_scans[0][0] < now - RATE_WINDOW_S:
            self._recent_scans.popleft()
        uptime = self.clock.monotonic() - self._started_monotonic
        span = min(RATE_WINDOW_S, max(uptime, 1.0))
        recent = sum(count for _, count in self._recent_scans)
        return NodeStatus(
            wall_time=now,
            uptime_s=uptime,
            rotations=self.rotations,
            scans=self.scans,
            sightings=self.sightings,
            sightings_per_minute=recent * 60.0 / span,
            peers_last_scan=self._peers_last_scan,
            dropped=sum(self.dropped.values()),
            mismatched_pairs=self.mismatched_pairs,
            exposure_checks=self.exposure_checks,
        )

    async def _status_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            status = self.status()
            log.info(
                "%s: %s",
                self.config.name,
                status.line(),
                extra={"event": "status", "fields": {"node": self.config.name, **status.to_json()}},
            )
            if self._on_status is not None:
                self._on_status(status)

    async def _check_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.check_exposures()
            except (KeySourceError, ClientError) as error:
                # An unreachable server or a refused log fails this check, not the node.
                log.error(
                    "%s: exposure check failed (%s): %s",
                    self.config.name,
                    error.code,
                    error,
                    extra={"event": "check_failed", "fields": {"code": error.code}},
                )

    async def _chaff_loop(self, server_url: str, mean_gap_s: float) -> None:
        """Send a chaff token request and a chaff upload at random times (spec DENY-3)."""
        while True:
            gap_s, pause_s = chaff_schedule(self._random_bytes(CHAFF_RANDOM_BYTES), mean_gap_s)
            await asyncio.sleep(gap_s)
            try:
                async with self._client_factory(server_url) as client:
                    await client.send_chaff_token()
                await asyncio.sleep(pause_s)
                async with self._client_factory(server_url) as client:
                    await client.send_chaff_upload()
            except ClientError as error:
                # Chaff that does not arrive changes nothing; the next one is drawn anyway.
                log.debug("%s: chaff not delivered (%s)", self.config.name, error.code)
            self.chaff_sent += 1

    # -- exposure checks ----------------------------------------------------------------

    async def check_exposures(self) -> CheckOutcome:
        """Fetch published keys, match, score, record and return the outcome."""
        if self.key_source is None:
            raise NodeStateError("the node has no key source to check exposures against")
        executor = self._executor
        if executor is None and isinstance(asyncio.get_running_loop(), VirtualTimeEventLoop):
            executor = InlineExecutor()
        async with self._check_lock:
            outcome = await run_check(
                self.store,
                self.key_source,
                now_s=self.clock.wall(),
                rssi_correction_db=self.config.calibration.rssi_correction_db,
                risk=self.risk,
                executor=executor,
            )
        self.exposure_checks += 1
        return outcome


def _commit_scan(store: Store, records: list[SightingRecord], scan: ScanRecord) -> None:
    """Store one scan's sightings and its record together: both or neither (RISK-4)."""
    with store.transaction():
        store.insert_sightings(records)
        store.add_scan(scan)
