"""Draw docs/assets/bluezone-2020-leak.svg: what one report leaked in 2020, and here.

    python docs/tools/bz2020_figure.py

The figures come from ``bluezone.reference_node.lab.bz2020_leak`` (seeded, so the file only
changes when the lab or this script does): the reporter's identifiers an observer can tie
together, before and after the report, and what the server learns about other people.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import this checkout
    sys.path.insert(0, str(ROOT))

from bluezone.reference_node.lab.bz2020_leak import FOLLOW_DAYS, measure  # noqa: E402

ASSETS = ROOT / "docs" / "assets"
OLD, NEW = "#c0392b", "#2c5aa0"


def draw(path: Path) -> None:
    f = measure()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), width_ratios=(1.3, 1))
    rows = [
        ("2020: any phone\n(the pushed daily key)", f.linked_by_push_before_report, OLD),
        ("2020: the server\n(the base key)", f.linked_by_base_key, OLD),
        ("this protocol: anyone\n(one published TEK)", f.linked_by_one_tek, NEW),
    ]
    after = [f.linked_after_report_2020, f.linked_after_report_2020, f.linked_after_report_here]
    for y, ((_, before, colour), later) in enumerate(zip(rows, after, strict=True)):
        left.barh(y, before, color=colour)
        left.barh(y, later, left=before, color=colour, alpha=0.35, hatch="//")
        left.text(before + later + 60, y, f"{before} + {later}", va="center", fontsize=8)
    left.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    left.invert_yaxis()
    left.set_xlim(0, 1.3 * (f.linked_by_base_key + f.linked_after_report_2020))
    left.set_xlabel(
        f"reporter identifiers tied together: before the report + in the {FOLLOW_DAYS} days after",
        fontsize=8,
    )
    left.set_title(
        f"One report (installed {f.reporter_installed_days_before} days before)", fontsize=9
    )
    labels = [
        "phones\nuploading",
        "people in\ncontact graph",
        "person-to-\nperson edges",
        "others' IDs with\ntime and RSSI",
    ]
    old = [f.uploaded_base_keys, f.people_in_graph, f.resolved_edges, f.unresolved_contact_blids]
    new = [1, f.graph_people_here, 0, 0]
    xs = range(len(labels))
    right.bar([x - 0.2 for x in xs], old, width=0.4, color=OLD, label="2020 flow")
    right.bar([x + 0.2 for x in xs], new, width=0.4, color=NEW, label="this protocol")
    for x, (a, b) in enumerate(zip(old, new, strict=True)):
        right.text(x - 0.2, a + 1, str(a), ha="center", fontsize=8)
        right.text(x + 0.2, b + 1, str(b), ha="center", fontsize=8)
    right.set_xticks(list(xs), labels, fontsize=8)
    right.set_title(f"What the server learns about others ({f.phones} phones)", fontsize=9)
    right.legend(fontsize=8, frameon=False)
    for axis in (left, right):
        axis.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def main() -> None:
    plt.rcParams["svg.hashsalt"] = "bluezone-docs"
    draw(ASSETS / "bluezone-2020-leak.svg")


if __name__ == "__main__":
    main()
