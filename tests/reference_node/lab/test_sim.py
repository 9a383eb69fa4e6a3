"""The risk simulator: device population, scenes, link model, labelled encounters."""

from __future__ import annotations

import math
import random
import statistics

import numpy as np
import pytest

from bluezone.protocol.params import CALIBRATION_CONFIDENCE_MEASURED, MAX_RSSI_DBM, MIN_RSSI_DBM
from bluezone.reference_node.lab.sim import (
    SimulationConfig,
    draw_population,
    simulate_encounters,
    simulate_seed,
)
from bluezone.reference_node.lab.sim.devices import (
    EXTRAPOLATED_MODELS,
    MEASURED_MODELS,
    DeviceModel,
)
from bluezone.reference_node.lab.sim.encounters import scene_encounters
from bluezone.reference_node.lab.sim.link import (
    ATTENUATION_AT_1M_DB,
    BODY_LOSS_DB,
    ENVIRONMENTS,
    Link,
    environment,
    fading_db,
    own_body_loss_db,
)
from bluezone.reference_node.lab.sim.scenes import (
    SCENE_KINDS,
    STEP_S,
    STEPS,
    Carriage,
    Person,
    Scene,
    draw_scene,
)
from bluezone.reference_node.risk_profiles import calibration_table

TABLE = calibration_table()
POPULATION = draw_population(TABLE, random.Random(2020))


def person(
    name: str,
    x: float,
    facing: float = 0.0,
    carriage: Carriage = Carriage.HAND,
    steps: range = range(STEPS),
    z: float = 0.0,
    device: DeviceModel | None = None,
) -> Person:
    position = np.zeros((STEPS, 3))
    position[:, 0], position[:, 2] = x, z
    present = np.zeros(STEPS, dtype=bool)
    present[steps.start : steps.stop] = True
    exact = DeviceModel(next(r for r in TABLE.rows if r.model == "Pixel 4"), 0.0, 0.0)
    return Person(name, device or exact, carriage, 0.0, position, np.full(STEPS, facing), present)


def test_the_population_is_drawn_from_the_table_with_its_seed():
    again = draw_population(TABLE, random.Random(2020))
    assert again == POPULATION
    assert draw_population(TABLE, random.Random(2021)) != POPULATION
    measured = [m for m in POPULATION.models if m.row.confidence == CALIBRATION_CONFIDENCE_MEASURED]
    assert len(measured) == MEASURED_MODELS
    assert len(POPULATION.models) == MEASURED_MODELS + EXTRAPOLATED_MODELS
    assert len({m.name for m in POPULATION.models}) == len(POPULATION.models)
    assert all(m.row in TABLE.rows for m in POPULATION.models)
    assert math.fsum(POPULATION.weights) == pytest.approx(1.0)


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_every_scene_kind_places_people_for_a_while(kind):
    scene = draw_scene("s", kind, POPULATION, random.Random(7))
    assert len(scene.people) >= 2
    for p in scene.people:
        assert p.present.any()
        assert np.isfinite(p.position).all()
        assert all(math.isfinite(c) for c in p.phone_position(int(np.argmax(p.present))))


def test_rician_fading_has_unit_mean_power_and_rayleigh_fades_deeper():
    rng = random.Random(3)
    for k_db in (None, 3.0, 10.0):
        powers = [10 ** (fading_db(k_db, rng) / 10) for _ in range(20000)]
        assert statistics.fmean(powers) == pytest.approx(1.0, abs=0.03)
    rayleigh = [fading_db(None, rng) for _ in range(5000)]
    strong = [fading_db(10.0, rng) for _ in range(5000)]
    assert statistics.pstdev(rayleigh) > 2 * statistics.pstdev(strong)


def test_a_body_shadows_the_link_leaving_behind_it():
    # Phone in the hand in front of a person facing +x (towards x > 0).
    owner = person("a", 0.0, facing=0.0)
    phone = owner.phone_position(0)
    assert own_body_loss_db(owner, 0, phone, (5.0, phone[1], 1.0)) == 0.0
    # Straight back through the torso (the phone sits 0.1 m to the side: nearly full loss).
    behind_owner = own_body_loss_db(owner, 0, phone, (-5.0, phone[1], 1.0))
    assert 0.9 * BODY_LOSS_DB < behind_owner <= BODY_LOSS_DB
    on_table = person("b", 0.0, facing=0.0, carriage=Carriage.TABLE)
    table_phone = on_table.phone_position(0)
    behind = own_body_loss_db(on_table, 0, table_phone, (-5.0, table_phone[1], 1.0))
    assert 0.0 < behind < BODY_LOSS_DB


def heard(link: Link, sender: Person, receiver: Person, scans: int = STEPS) -> list[int]:
    return [r for step in range(scans) for r in link.scan(sender, receiver, step, 8)]


def test_the_link_is_weaker_with_distance_people_between_and_floors():
    rng = random.Random(5)
    a, b, c = person("a", 0.0), person("b", 1.0), person("c", 6.0)
    office = ENVIRONMENTS["office"]
    near = heard(Link(office, (a, b), rng), a, b)
    far = heard(Link(office, (a, c), rng), a, c)
    blocked = heard(Link(office, (a, c, person("d", 3.0)), rng), a, c)
    assert statistics.median(near) > statistics.median(far) > statistics.median(blocked)
    assert all(MIN_RSSI_DBM <= r <= MAX_RSSI_DBM for r in near + far)
    upstairs = person("e", 1.0, z=1.9)
    bus = ENVIRONMENTS["bus"]
    same_deck = heard(Link(bus, (a, b), rng), a, b)
    other_deck = heard(Link(bus, (a, upstairs), rng), a, upstairs)
    assert statistics.median(same_deck) - statistics.median(other_deck) > 10


def test_nothing_is_heard_below_the_sensitivity():
    a, far = person("a", 0.0), person("b", 5000.0)
    assert heard(Link(ENVIRONMENTS["groups"], (a, far), random.Random(1)), a, far, 50) == []


def test_unobstructed_attenuation_at_1m_is_the_free_space_loss():
    # Phone in hand facing each other, Pixel to Pixel (residuals 0): attenuation ~ A0.
    a, b = person("a", 0.0, facing=0.0), person("b", 1.5, facing=math.pi)
    link = Link(ENVIRONMENTS["groups"], (a, b), random.Random(9))
    distance = math.dist(a.phone_position(0), b.phone_position(0))
    rssis = heard(link, a, b)
    tx, correction = a.device.row.tx_power, b.device.row.rssi_correction
    attenuation = statistics.median(tx - (r + correction) for r in rssis)
    free_space = ATTENUATION_AT_1M_DB + 20 * math.log10(distance)  # exponent 2 outside
    assert distance == pytest.approx(1.0, abs=0.05)
    assert attenuation == pytest.approx(free_space, abs=2.0)


def two_person_scene(distance_m: float, minutes: int) -> Scene:
    steps = range(0, minutes * 60 // STEP_S)
    return Scene(
        "t",
        "office",
        (person("a", 0.0, steps=steps), person("b", distance_m, math.pi, steps=steps)),
    )


@pytest.mark.parametrize(
    ("distance", "minutes", "close"),
    [(1.0, 30, True), (1.9, 15, True), (1.0, 14, False), (3.0, 60, False)],
)
def test_the_label_is_15_minutes_within_2_m(distance, minutes, close):
    config = SimulationConfig(scenes=1)
    scene = two_person_scene(distance, minutes)
    encounters = scene_encounters(scene, config, 19000, random.Random(2))
    assert len(encounters) == 2
    for e in encounters:
        assert e.close_contact is close
        assert e.distance_m == pytest.approx(distance)
        assert e.receiver_model == "Pixel 4"
        scans = [s for w in e.windows for s in w.scan_instances]
        assert len(e.scan_distances_m) == len(scans) > 0
        assert all(w.day == 19000 for w in e.windows)


def test_people_never_together_make_no_encounter():
    early, late = range(0, 100), range(300, 400)
    scene = Scene("t", "office", (person("a", 0.0, steps=early), person("b", 1.0, steps=late)))
    assert scene_encounters(scene, SimulationConfig(), 19000, random.Random(2)) == []


def test_a_seed_repeats_a_simulation_and_another_does_not():
    config = SimulationConfig(scenes=4)
    first = simulate_encounters(POPULATION, config, random.Random(11), "x")
    again = simulate_encounters(POPULATION, config, random.Random(11), "x")
    other = simulate_encounters(POPULATION, config, random.Random(12), "x")
    assert first == again != other
    assert {e.scenario for e in first} == set(SCENE_KINDS)
    assert any(e.close_contact for e in first) and not all(e.close_contact for e in first)


def test_a_seed_draws_its_own_phones_and_repeats():
    config = SimulationConfig(scenes=2)
    first = simulate_seed(TABLE, config, 11, "x")
    assert simulate_seed(TABLE, config, 11, "x") == first
    other = simulate_seed(TABLE, config, 12, "x")
    assert {e.receiver_model for e in first} != {e.receiver_model for e in other}


def test_worlds_change_only_the_environments_they_name():
    steep = environment("office", "steep")
    assert steep.path_loss.exponent == 3.0 > ENVIRONMENTS["office"].path_loss.exponent
    assert environment("bus", "steep") == ENVIRONMENTS["bus"]
    metal = environment("bus", "metal")
    assert metal.path_loss.exponent == 1.4 and metal.rician_k_db is None
    assert metal.slow_shadowing_sd_db > ENVIRONMENTS["bus"].slow_shadowing_sd_db
    assert environment("tables", "metal") == ENVIRONMENTS["tables"]
    assert all(environment(kind) == ENVIRONMENTS[kind] for kind in SCENE_KINDS)
    with pytest.raises(ValueError):
        environment("bus", "underwater")
