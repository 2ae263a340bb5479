"""Layers, one per module. The always-on ones are imported here; others load on first use."""

from opendal_lab.layers.capability_check import CapabilityCheckLayer
from opendal_lab.layers.chaos import ChaosLayer
from opendal_lab.layers.complete import CompleteLayer
from opendal_lab.layers.correctness_check import CorrectnessCheckLayer
from opendal_lab.layers.error_context import ErrorContextLayer
from opendal_lab.layers.immutable_index import ImmutableIndexLayer
from opendal_lab.layers.retry import RetryLayer
from opendal_lab.layers.simulate import SWITCHES, SimulateLayer, SimulationNotNeeded

__all__ = [
    "SWITCHES",
    "CapabilityCheckLayer",
    "ChaosLayer",
    "CompleteLayer",
    "CorrectnessCheckLayer",
    "ErrorContextLayer",
    "ImmutableIndexLayer",
    "RetryLayer",
    "SimulateLayer",
    "SimulationNotNeeded",
]
