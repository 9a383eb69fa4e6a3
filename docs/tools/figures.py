"""Draw the site's generated figures into docs/assets/ (committed; rerun after a change).

    python docs/tools/figures.py

Draws ``timeline.svg``: 80 minutes around a UTC midnight of one device, its keys, its
identifier and address rotations (interval boundary plus jitter, spec ADV-3) and its scan
windows (spec ADV-13). The jitter and scan times are drawn from a fixed seed, so the file
only changes when this script does. The layer diagram and the key schedule are drawn by hand
(``layers.svg``, ``key-schedule.svg``).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

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


def main() -> None:
    """Draw every generated figure."""
    plt.rcParams["svg.hashsalt"] = "bluezone-docs"
    plt.rcParams["font.family"] = "DejaVu Sans"
    draw_timeline(ASSETS / "timeline.svg")


if __name__ == "__main__":
    main()
