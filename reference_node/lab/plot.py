"""Figures of a risk evaluation: ROC curves, and attenuation versus distance (matplotlib).

matplotlib is optional (the ``plot`` extra); `load_pyplot` says so clearly when it is missing.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from bluezone.reference_node.errors import PlotUnavailableError
from bluezone.reference_node.lab.statistics import roc_curve
from bluezone.reference_node.risk_profiles import V2_PROFILES, v2_profile

__all__ = ["load_pyplot", "plot"]

INSTALL_HINT = "pip install 'bluezone-protocol[plot]' (or pip install matplotlib)"


def load_pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend; PlotUnavailableError if not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailableError(
            f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from exc
    return plt


HIGHLIGHT = {
    "proximity": ("tab:red", 2.4),
    "proximity_probability": ("darkred", 2.4),
    "gaen_v2_enx": ("tab:blue", 2.4),
    "gaen_v2_lfph": ("navy", 2.4),
}


def _bucket_thresholds() -> dict[str, tuple[int, ...]]:
    """The v2 profiles' bucket thresholds (RISK-15), drawn on the attenuation panel."""
    return {
        name: tuple(v2_profile(name).daily_summaries_config.attenuation_bucket_thresholds_db)
        for name in V2_PROFILES
    }


OTHER_COLOURS = (
    "tab:green",
    "tab:purple",
    "tab:orange",
    "tab:brown",
    "tab:olive",
    "tab:cyan",
    "tab:pink",
    "tab:grey",
)


def _attenuation_points(evaluation: Any) -> tuple[list[float], list[float]]:
    """(distance, typical attenuation) of every scan instance with a known distance."""
    distances: list[float] = []
    attenuations: list[float] = []
    for e in evaluation.encounters:
        if e.distance_is_lower_bound:
            continue
        scans = [s for w in e.windows for s in w.scan_instances]
        known = e.scan_distances_m or (e.distance_m,) * len(scans)
        distances.extend(known)
        attenuations.extend(s.typical_attenuation_db for s in scans)
    return distances, attenuations


def _roc_panel(axes: Any, evaluation: Any) -> None:
    labels = [e.close_contact for e in evaluation.encounters]
    others = itertools.cycle(OTHER_COLOURS)
    for r in sorted(evaluation.results, key=lambda r: r.name in HIGHLIGHT):
        colour, width = HIGHLIGHT.get(r.name, (next(others), 1.4))
        points = roc_curve(r.scores, labels)
        axes.step(
            [p.false_alarm_rate for p in points],
            [p.detection_rate for p in points],
            where="post",
            color=colour,
            linewidth=width,
            label=f"{r.name}  {r.auc:.3f} [{r.auc_low:.3f}, {r.auc_high:.3f}]",
        )
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    axes.axvline(evaluation.false_alarm_rate, color="black", linestyle="--", linewidth=0.8)
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1.01),
        xlabel=f"false-alarm rate (dashed: {evaluation.false_alarm_rate:.0%}, the fixed rate)",
        ylabel="detection rate of close contacts",
        title="ROC (legend: ROC area [95 % interval])",
    )
    axes.legend(loc="lower right", fontsize=9, framealpha=0.9)
    axes.grid(alpha=0.3)


# Distances below this are drawn at it (the log axis would stretch for a few points).
NEAREST_DRAWN_M = 0.2


def _attenuation_panel(axes: Any, evaluation: Any) -> None:
    import numpy as np

    distances, attenuations = _attenuation_points(evaluation)
    d = np.maximum(np.asarray(distances, dtype=float), NEAREST_DRAWN_M)
    a = np.asarray(attenuations, dtype=float)
    jitter = np.random.default_rng(0).uniform(0.97, 1.03, len(d))  # separate stacked points
    close = d <= 2.0
    for mask, colour, label in ((~close, "tab:blue", "> 2 m"), (close, "tab:red", "<= 2 m")):
        axes.scatter(
            d[mask] * jitter[mask], a[mask], s=3, alpha=0.08, color=colour, rasterized=True
        )
        axes.scatter([], [], s=12, color=colour, label=f"scan instances {label}")
    edges = np.geomspace(d.min(), d.max() * 1.001, 14)
    centres, q25, q50, q75 = [], [], [], []
    for low, high in itertools.pairwise(edges):
        inside = a[(d >= low) & (d < high)]
        if len(inside) >= 20:
            centres.append(np.sqrt(low * high))
            q25.append(np.percentile(inside, 25))
            q50.append(np.percentile(inside, 50))
            q75.append(np.percentile(inside, 75))
    axes.fill_between(centres, q25, q75, color="black", alpha=0.15, label="quartiles")
    axes.plot(centres, q50, color="black", linewidth=2, label="median")
    fit = next(iter(evaluation.fits.values()), None)
    if fit is not None:
        grid = np.geomspace(d.min(), d.max(), 50)
        slope = fit.path_loss_exponent * 10.0 / np.log(10.0)
        axes.plot(
            grid,
            fit.attenuation_at_1m_db + slope * np.log(grid),
            color="tab:green",
            linewidth=2,
            linestyle="--",
            label=f"fitted path loss (n = {fit.path_loss_exponent:.2f})",
        )
    left = d.min() / 1.1
    labels: dict[int, list[str]] = {}
    for name, thresholds in _bucket_thresholds().items():
        for threshold in thresholds:
            labels.setdefault(threshold, []).append(name)
    for threshold, names in sorted(labels.items()):
        axes.axhline(threshold, color="grey", linestyle=":", linewidth=1)
        axes.annotate(
            f"{', '.join(names)} {threshold} dB",
            (left, threshold),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=8,
            color="black",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "lw": 0},
        )
    axes.axvline(2.0, color="black", linestyle="--", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_xlim(left, d.max() * 1.1)
    ticks = [t for t in (0.2, 0.5, 1, 1.5, 2, 3, 4, 6, 10, 20) if left <= t <= d.max() * 1.1]
    axes.set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes.minorticks_off()
    axes.set(
        xlabel=f"true distance (m, log scale; below {NEAREST_DRAWN_M:g} m drawn at it)",
        ylabel="typical attenuation (dB)",
        title="attenuation versus distance (dashed: 2 m)",
    )
    axes.legend(loc="lower right", fontsize=9, framealpha=0.9, markerscale=1.5)
    axes.grid(alpha=0.3)


def plot(evaluation: Any, path: Path) -> None:
    """ROC curves and attenuation versus distance of ``evaluation``, written to ``path`` (PNG).

    Raises PlotUnavailableError when matplotlib is not installed.
    """
    plt = load_pyplot()
    figure, (roc_axes, scatter_axes) = plt.subplots(1, 2, figsize=(15, 6.5))
    _roc_panel(roc_axes, evaluation)
    _attenuation_panel(scatter_axes, evaluation)
    margins = "; ".join(
        f"{m.scorer} - {m.baseline}: {m.estimate:+.3f} [{m.low:+.3f}, {m.high:+.3f}]"
        for m in evaluation.margins
        if m.metric == "ROC area"
    )
    figure.suptitle(f"{evaluation.data_set}\nROC-area margins: {margins}", fontsize=12)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
