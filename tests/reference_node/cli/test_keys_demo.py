"""`bluezone keys demo` tells the day and finds exactly A's encounters."""

import json

from bluezone.reference_node import cli
from bluezone.reference_node.cli import keys_demo


def test_demo_finds_every_encounter_and_nothing_else():
    steps = keys_demo.run(seed=3)
    final = steps[-1].values
    assert final["matched"] == len(keys_demo.ENCOUNTERS)
    assert final["discarded"] == 0
    too_soon = next(s for s in steps if "too soon" in s.title)
    assert too_soon.values == {"rejected": ["embargoed_key"], "exposures": 0}


def test_demo_never_prints_a_whole_key():
    steps = keys_demo.run(seed=3)
    key_step = steps[0].values
    assert all(len(key_step[name]) == 9 for name in ("TEK", "RPIK", "AEMK"))


def test_demo_is_reproducible_with_a_seed(capsys):
    assert cli.main(["keys", "demo", "--seed", "5", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    cli.main(["keys", "demo", "--seed", "5", "--json"])
    assert json.loads(capsys.readouterr().out) == first
    assert first["steps"][1]["advertising data"].startswith("02011a03036ffd17166ffd")


def test_demo_without_seed_draws_fresh_keys():
    assert keys_demo.run()[0].values["TEK"] != keys_demo.run()[0].values["TEK"]
