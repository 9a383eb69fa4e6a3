"""Simulated ground truth for risk scoring: labelled encounters from a radio simulation.

``simulate_encounters(population, config, rng, prefix)`` draws scenes (tables, office, bus,
groups), runs every phone's scans through the link model (positions, body shadowing,
multipath fading, carriage losses, device models of the calibration table) and returns
labelled encounters like the NHS loader's. Every random draw comes from the generator
passed in. docs/risk.md describes the model and the sources of its figures.
"""

from bluezone.reference_node.lab.sim.devices import DeviceModel, DevicePopulation, draw_population
from bluezone.reference_node.lab.sim.encounters import SimulationConfig, simulate_encounters

__all__ = [
    "DeviceModel",
    "DevicePopulation",
    "SimulationConfig",
    "draw_population",
    "simulate_encounters",
]
