"""The Bluezone 2020 leak measurement (docs page "Bluezone 2020 and this protocol")."""

from __future__ import annotations

from bluezone.reference_node.lab.bz2020_leak import (
    FOLLOW_DAYS,
    HISTORY_DAYS,
    SLOTS,
    main,
    measure,
)


def test_the_counts_follow_the_key_schedules():
    f = measure(count=30, seed=7)
    # The pushed daily key ties 14 days of 96 slots; the base key every day since install.
    assert f.linked_by_push_before_report == HISTORY_DAYS * SLOTS
    assert f.linked_by_base_key == f.reporter_broadcast
    assert f.reporter_broadcast == (f.reporter_installed_days_before + 1) * SLOTS
    assert f.linked_after_report_2020 == FOLLOW_DAYS * SLOTS  # no re-keying after a report
    assert f.linked_by_one_tek == 144 and f.linked_after_report_here == 0
    assert f.recognised_by_all_teks == HISTORY_DAYS * 144
    # Contacts that matched uploaded too, so the server's graph holds them all.
    assert f.uploaded_base_keys == f.matched_phones + 1 == f.people_in_graph
    assert f.matched_phones >= 1 and f.resolved_edges >= f.matched_phones
    assert f.uploaded_rows > 0 and f.graph_people_here == 0


def test_the_command_prints_the_table(capsys):
    assert main(["--phones", "20", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "2020 flow" in out and "this protocol" in out
