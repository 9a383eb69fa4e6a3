"""Simulated ground truth for risk scoring: labelled encounters from a radio simulation.

``simulate_seed(table, config, seed, prefix)`` draws a phone population and scenes
(tables, office, bus, groups) from one seed, runs every phone's scans through the link model
(positions, body shadowing, multipath fading, carriage losses, device models of the
calibration table) and returns labelled encounters like the NHS loader's. Every random draw
comes from the seed; ``config.world`` selects propagation the proximity profile does not
assume (spec 5.8.1). docs/risk.md describes the model and the sources of its figures.
"""

from bluezone.reference_node.lab.sim.devices import DeviceModel, DevicePopulation, draw_population
from bluezone.reference_node.lab.sim.encounters import (
    SimulationConfig,
    simulate_encounters,
    simulate_seed,
)

__all__ = [
    "DeviceModel",
    "DevicePopulation",
    "SimulationConfig",
    "draw_population",
    "simulate_encounters",
    "simulate_seed",
]
