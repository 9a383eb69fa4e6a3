"""`bluezone risk evaluate`: every scorer on labelled encounters, the report, JSON and plot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bluezone.protocol.risk.proximity import ProximityConfig
from bluezone.reference_node import cli
from bluezone.reference_node.errors import RiskDataError
from bluezone.reference_node.lab.evaluate import (
    FITTED_DECIMALS,
    evaluate_simulation,
    report,
    to_json,
)
from bluezone.reference_node.lab.proximity_fit import fit_path_loss
from bluezone.reference_node.lab.scorers import LEARNED, path_loss_samples
from bluezone.reference_node.lab.sim import SimulationConfig, simulate_seed
from bluezone.reference_node.risk_profiles import calibration_table

SMALL = ["--scenes", "4", "--resamples", "30"]
ROOT = Path(__file__).resolve().parents[3]
SCORERS = {
    "gaen_v1",
    "gaen_v2_enx",
    "gaen_v2_lfph",
    "cwa",
    "proximity_shipped",
    "proximity_shipped_probability",
    *LEARNED,
}


@pytest.fixture(scope="module")
def evaluation():
    return evaluate_simulation(resamples=30, scenes=4)


def test_every_scorer_is_measured_on_the_held_out_scenes(evaluation):
    assert {r.name for r in evaluation.results} == SCORERS
    assert {e.experiment.split("-")[0] for e in evaluation.encounters} == {"test"}
    for r in evaluation.results:
        assert len(r.scores) == len(evaluation.encounters)
        assert 0.0 <= r.auc_low <= r.auc <= r.auc_high <= 1.0
        assert r.detection_low <= r.detection_rate <= r.detection_high
        assert r.false_alarm_rate <= evaluation.false_alarm_rate
    assert [(m.baseline, m.metric, m.scorer) for m in evaluation.margins] == [
        (baseline, metric, scorer)
        for baseline in ("gaen_v2_enx", "gaen_v2_lfph")
        for metric in ("ROC area", "detection")
        for scorer in ("proximity_probability", "proximity")
    ]
    assert all(m.low <= m.estimate <= m.high for m in evaluation.margins)
    assert list(evaluation.fits) == ["train-seed-1"]


def test_the_evaluation_repeats_with_its_seeds(evaluation):
    assert to_json(evaluate_simulation(resamples=30, scenes=4)) == to_json(evaluation)


def test_training_on_the_test_seed_is_refused():
    with pytest.raises(RiskDataError):
        evaluate_simulation(scenes=2, train_seed=5, test_seed=5)


def test_the_report_names_the_data_the_validation_and_the_margins(evaluation):
    text = report(evaluation)
    assert "seed 1" in text and "seed 2" in text
    for name in SCORERS:
        assert name in text
    assert "margin proximity - gaen_v2_enx (ROC area)" in text
    assert "margin proximity_probability - gaen_v2_lfph (detection at false alarms <= 10%)" in text


def test_the_command_prints_json(capsys):
    assert cli.main(["risk", "evaluate", *SMALL, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document["scorers"]) == SCORERS
    assert document["close_contacts"] > 0
    assert {(m["baseline"], m["metric"], m["scorer"]) for m in document["margins"]} == {
        (baseline, metric, scorer)
        for baseline in ("gaen_v2_enx", "gaen_v2_lfph")
        for metric in ("auc", "detection_rate")
        for scorer in ("proximity_probability", "proximity")
    }


def test_the_command_draws_the_plot(tmp_path: Path, capsys):
    # matplotlib comes with the dev extra (pyproject.toml), so this runs wherever tests do.
    target = tmp_path / "roc.png"
    assert cli.main(["risk", "evaluate", *SMALL, "--plot", str(target)]) == 0
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "ROC area" in capsys.readouterr().out


def test_a_missing_matplotlib_is_a_clear_error_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    target = tmp_path / "roc.png"
    assert cli.main(["risk", "evaluate", *SMALL, "--plot", str(target)]) == 1
    captured = capsys.readouterr()
    assert "matplotlib" in captured.err and "plot" in captured.err
    assert captured.out == "" and not target.exists()


def test_a_missing_data_directory_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["risk", "evaluate", "--data", str(tmp_path / "absent")])
    assert exited.value.code == 64
    assert "no such directory" in capsys.readouterr().err


def test_a_directory_that_is_not_the_nhs_data_says_so(tmp_path, capsys):
    assert cli.main(["risk", "evaluate", "--data", str(tmp_path)]) == 1
    assert "pass the nhs_gaen_data folder" in capsys.readouterr().err


def test_bad_options_are_errors(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["risk", "evaluate", "--false-alarm", "1.5"])
    assert exited.value.code == 64
    assert cli.main(["risk", "evaluate", "--scenes", "2", "--train-seed", "2"]) == 1
    assert "differ" in capsys.readouterr().err


def test_the_module_takes_the_data_directory_as_an_argument_too(tmp_path, capsys):
    from bluezone.reference_node.lab.evaluate import main

    assert main([str(tmp_path / "absent")]) == 1
    assert "nhs_gaen_data" in capsys.readouterr().err


def test_each_seed_draws_its_own_phones():
    training = evaluate_simulation(resamples=30, scenes=4, train_seed=1, test_seed=3)
    models = {e.receiver_model for e in training.encounters}
    again = evaluate_simulation(resamples=30, scenes=4, train_seed=1, test_seed=4)
    assert models != {e.receiver_model for e in again.encounters}


def test_another_world_changes_the_test_scenes_only(evaluation):
    steep = evaluate_simulation(resamples=30, scenes=4, world="steep")
    assert steep.fits["train-seed-1"] == evaluation.fits["train-seed-1"]
    assert steep.result("gaen_v2_lfph").scores != evaluation.result("gaen_v2_lfph").scores
    assert "world steep" in steep.data_set


def test_an_unknown_world_is_refused():
    with pytest.raises(RiskDataError):
        evaluate_simulation(scenes=2, world="underwater")


def test_the_fit_is_written_as_the_shipped_profile(tmp_path: Path, capsys):
    target = tmp_path / "proximity.json"
    assert cli.main(["risk", "evaluate", *SMALL, "--write-profile", str(target)]) == 0
    written = json.loads(target.read_text())
    shipped = json.loads((ROOT / "spec" / "profiles" / "proximity.json").read_text())
    assert written.keys() == shipped.keys()
    assert written["kernel_distance_m"] == shipped["kernel_distance_m"]
    assert written["path_loss_exponent"] != shipped["path_loss_exponent"]  # 4 scenes, not 40
    ProximityConfig.from_json(written)


def test_writing_a_profile_from_the_nhs_data_is_refused(tmp_path: Path, capsys):
    args = ["risk", "evaluate", "--data", str(tmp_path), "--write-profile", str(tmp_path / "p")]
    assert cli.main(args) == 1
    assert "--write-profile" in capsys.readouterr().err


@pytest.mark.slow
def test_the_shipped_proximity_profile_is_the_fit_of_spec_5_8_1():
    """spec/profiles/proximity.json holds the fit on simulator training seed 1 (40 scenes), as
    ``bluezone risk evaluate --write-profile`` writes it."""
    training = simulate_seed(calibration_table(), SimulationConfig(scenes=40), 1, "train")
    fit = fit_path_loss(path_loss_samples(training))
    shipped = json.loads((ROOT / "spec" / "profiles" / "proximity.json").read_text())
    for name, decimals in FITTED_DECIMALS.items():
        assert shipped[name] == round(getattr(fit, name), decimals), name
