"""Draw the site's generated figures into docs/assets/ (committed; rerun after a change).

    python docs/tools/figures.py

Draws ``timeline.svg``: 80 minutes around a UTC midnight of one device, its keys, its
identifier and address rotations (interval boundary plus jitter, spec ADV-3) and its scan
windows (spec ADV-13). The jitter and scan times are drawn from a fixed seed, so the file
only changes when this script does. The layer diagram and the key schedule are drawn by hand
(``layers.svg``, ``key-schedule.svg``).

Draws ``risk-distance-duration.svg``: the day score of GAEN v2 with LFPH's narrower net and of the
proximity profile (shipped parameters) for two people standing still at a set distance for a
set time, the mean over a few simulated encounters per cell (bluezone.reference_node.lab.sim's
radio model, phones drawn from its population; scores from bluezone.protocol.risk). Also seeded.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import this checkout
    sys.path.insert(0, str(ROOT))

from bluezone.protocol.risk.proximity import score_proximity  # noqa: E402
from bluezone.protocol.risk.v2 import score_v2  # noqa: E402
from bluezone.reference_node.lab.sim import SimulationConfig, draw_population  # noqa: E402
from bluezone.reference_node.lab.sim.encounters import scene_encounters  # noqa: E402
from bluezone.reference_node.lab.sim.scenes import (  # noqa: E402
    CARRIAGE_LOSS_DB,
    STEP_S,
    STEPS,
    Carriage,
    Person,
    Scene,
)
from bluezone.reference_node.risk_profiles import (  # noqa: E402
    calibration_table,
    proximity_profile,
    v2_profile,
)

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SEED = 20200410
INTERVAL_S = 600  # spec KS-2
JITTER_MAX_S = 60  # spec ADV-3
SCAN_WINDOW_S = 4  # spec ADV-13
SCAN_PERIOD_S = (120, 300)  # spec ADV-13
START_S, END_S = -40 * 60, 40 * 60  # seconds from UTC midnight
OLD_KEY = ("#9fa8da", "#5c6bc0")
NEW_KEY = ("#a5d6a7", "#43a047")


def rotations(rng: random.Random) -> list[tuple[float, int]]:
    """Return (time, interval) of each rotation: boundary of ``interval`` plus jitter."""
    first = START_S // INTERVAL_S - 1
    last = END_S // INTERVAL_S + 1
    return [(j * INTERVAL_S + rng.uniform(0, JITTER_MAX_S), j) for j in range(first, last + 1)]


def scans(rng: random.Random) -> list[float]:
    """Return the start times of the scan windows: about 4 s every 2 to 5 minutes."""
    times, now = [], START_S + rng.uniform(0, SCAN_PERIOD_S[0])
    while now < END_S:
        times.append(now)
        now += rng.uniform(*SCAN_PERIOD_S)
    return times


def clock(seconds: float) -> str:
    """Return the UTC wall-clock time of a number of seconds from midnight."""
    minutes = int(seconds // 60) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def draw_timeline(path: Path) -> None:
    """Draw the rotation and scan timeline to ``path`` as SVG."""
    rng = random.Random(SEED)
    changes = rotations(rng)
    windows = scans(rng)
    fig, ax = plt.subplots(figsize=(10, 3.9))
    rows = {"key (TEK)": 3, "identifier\n+ address": 2, "scan windows": 1}

    # Keys: one per UTC day (KS-3).
    ax.add_patch(Rectangle((START_S, 2.7), -START_S, 0.6, color=OLD_KEY[1]))
    ax.add_patch(Rectangle((0, 2.7), END_S, 0.6, color=NEW_KEY[1]))
    ax.text(START_S / 2, 3.0, "TEK of day d", ha="center", va="center", color="white")
    ax.text(END_S / 2, 3.0, "TEK of day d + 1", ha="center", va="center", color="white")

    # Identifier and address change together at each boundary plus jitter (ADV-3).
    for (begin, interval), (end, _) in itertools.pairwise(changes):
        palette = NEW_KEY if interval >= 0 else OLD_KEY
        left, right = max(begin, START_S), min(end, END_S)
        if right <= left:
            continue
        ax.add_patch(Rectangle((left, 1.7), right - left, 0.6, color=palette[interval % 2]))
        if right - left < INTERVAL_S / 2:
            continue  # a sliver at the edge of the plot: no room for a label
        label = f"RPI j{interval:+d}" if interval else "RPI j"
        ax.text((left + right) / 2, 2.0, label, ha="center", va="center", fontsize=8)
    for begin, _ in changes:
        if START_S < begin < END_S:
            ax.plot([begin, begin], [1.65, 2.35], color="black", lw=1)

    # Scan windows (ADV-13): drawn wider than 4 s so they stay visible at this scale.
    for begin in windows:
        ax.add_patch(Rectangle((begin, 0.7), max(SCAN_WINDOW_S, 12), 0.6, color="#ef6c00"))

    for boundary in range(START_S, END_S + 1, INTERVAL_S):
        ax.axvline(boundary, color="#999", lw=0.6, ls=":", zorder=0)
    ax.axvline(0, color="#c62828", lw=1.2, zorder=0)

    midnight = next(t for t, j in changes if j == 0)
    ax.annotate(
        f"first rotation after midnight: 00:00 + {midnight:.0f} s;\n"
        "until then the old day's identifier is sent",
        xy=(midnight, 2.3),
        xytext=(midnight + 150, 3.55),
        fontsize=8,
        arrowprops={"arrowstyle": "->", "lw": 0.8},
    )
    ax.text(
        START_S + 30,
        0.35,
        "dotted: interval boundaries (10 min); black ticks: rotations, boundary + jitter in "
        "[0, 60) s (ADV-3); orange: scan windows of about 4 s every 2-5 min (ADV-13)",
        fontsize=7.5,
        color="#333",
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
    )

    ticks = list(range(START_S, END_S + 1, INTERVAL_S))
    ax.set_xticks(ticks, [clock(t) for t in ticks])
    ax.set_yticks(list(rows.values()), list(rows.keys()))
    ax.set_xlim(START_S, END_S)
    ax.set_ylim(0.2, 4.0)
    ax.set_xlabel("UTC")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


RISK_DISTANCES_M = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
RISK_MINUTES = (5, 10, 15, 20, 30, 45, 60)
RISK_SCENES_PER_CELL = 12  # two encounters each (both directions)
RISK_ENVIRONMENT = "office"
RISK_FIRST_DAY = 19000
CARRIED = (Carriage.HAND, Carriage.FRONT_POCKET, Carriage.BACK_POCKET, Carriage.BAG)


def standing_person(
    name: str, x: float, facing: float, minutes: int, population, rng: random.Random
) -> Person:
    """One person standing at (x, 0) facing ``facing`` for the first ``minutes``, phone
    carried in a hand, a pocket or a bag."""
    present = np.zeros(STEPS, dtype=bool)
    present[: minutes * 60 // STEP_S] = True
    position = np.zeros((STEPS, 3))
    position[:, 0] = x
    angles = np.array([facing + rng.gauss(0.0, 0.15) for _ in range(STEPS)])
    carriage = rng.choice(CARRIED)
    loss = rng.uniform(*CARRIAGE_LOSS_DB[carriage])
    return Person(name, population.draw(rng), carriage, loss, position, angles, present)


def encounter_scores(distance_m: float, minutes: int, population, rng: random.Random):
    """(GAEN v2 LFPH, proximity) day scores in minutes of the encounters of a few scenes of
    two people ``distance_m`` apart for ``minutes``."""
    lfph = v2_profile("lfph-narrower-net-1.0").daily_summaries_config
    proximity = proximity_profile()
    config = SimulationConfig()
    v2, near = [], []
    for index in range(RISK_SCENES_PER_CELL):
        people = (
            standing_person("a", 0.0, 0.0, minutes, population, rng),
            standing_person("b", distance_m, math.pi, minutes, population, rng),
        )
        scene = Scene(f"d{distance_m}-t{minutes}-{index}", RISK_ENVIRONMENT, people)
        for encounter in scene_encounters(scene, config, RISK_FIRST_DAY + index, rng):
            daily = score_v2(lfph, encounter.windows)
            v2.append(max((float(d.score_sum) for d in daily), default=0.0))
            days = score_proximity(proximity, encounter.windows)
            near.append(max((d.score for d in days), default=0.0))
    return float(np.mean(v2)) / 60, float(np.mean(near)) / 60


def risk_grid(rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """Mean scores (minutes) per (duration, distance) cell: GAEN v2 LFPH, proximity."""
    population = draw_population(calibration_table(), rng)
    shape = (len(RISK_MINUTES), len(RISK_DISTANCES_M))
    v2, near = np.zeros(shape), np.zeros(shape)
    for i, minutes in enumerate(RISK_MINUTES):
        for j, distance in enumerate(RISK_DISTANCES_M):
            v2[i, j], near[i, j] = encounter_scores(distance, minutes, population, rng)
    return v2, near


def draw_risk(path: Path) -> None:
    """Draw the score against distance and duration for two scorers to ``path`` as SVG."""
    v2, near = risk_grid(random.Random(SEED))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=True)
    top = max(v2.max(), near.max())
    norm = LogNorm(vmin=1, vmax=top)
    titles = (
        "GAEN v2, LFPH narrower net 1.0: weighted minutes",
        "proximity profile: expected minutes within 2 m",
    )
    for ax, grid, title in zip(axes, (v2, near), titles, strict=True):
        image = ax.imshow(
            np.maximum(grid, 1), origin="lower", cmap="YlOrRd", norm=norm, aspect="auto"
        )
        for (i, j), value in np.ndenumerate(grid):
            colour = "white" if value > math.sqrt(top) * 2 else "black"
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=8, color=colour)
        ax.set_xticks(range(len(RISK_DISTANCES_M)), [f"{d:g}" for d in RISK_DISTANCES_M])
        ax.set_yticks(range(len(RISK_MINUTES)), [str(m) for m in RISK_MINUTES])
        ax.set_xlabel("distance between the two people (m)")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("time together (min)")
    bar = fig.colorbar(image, ax=axes, shrink=0.9, label="day score, minutes (log scale)")
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100) if t <= top]
    bar.set_ticks(ticks, labels=[str(t) for t in ticks])
    bar.minorticks_off()
    fig.suptitle(
        f"Mean day score of {2 * RISK_SCENES_PER_CELL} simulated encounters per cell "
        "(two people standing in an office, phones in hand, pocket or bag)",
        fontsize=10,
    )
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    """Draw every generated figure."""
    plt.rcParams["svg.hashsalt"] = "bluezone-docs"
    plt.rcParams["font.family"] = "DejaVu Sans"
    draw_timeline(ASSETS / "timeline.svg")
    draw_risk(ASSETS / "risk-distance-duration.svg")


if __name__ == "__main__":
    main()
