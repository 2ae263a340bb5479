"""The critical layers, the ones the seed keeps in core: every operator has ErrorContext,
Simulate, Complete and CorrectnessCheck (in that order, innermost first);
CapabilityCheck and ImmutableIndex are the two a user adds by hand. Optional layers
live in ``opendal_lab.layers``."""

from opendal_lab.core.layers.capability_check import CapabilityCheckLayer
from opendal_lab.core.layers.complete import CompleteLayer
from opendal_lab.core.layers.correctness_check import CorrectnessCheckLayer
from opendal_lab.core.layers.error_context import ErrorContextLayer
from opendal_lab.core.layers.immutable_index import ImmutableIndexLayer
from opendal_lab.core.layers.simulate import SWITCHES, SimulateLayer, SimulationNotNeeded

__all__ = [
    "SWITCHES",
    "CapabilityCheckLayer",
    "CompleteLayer",
    "CorrectnessCheckLayer",
    "ErrorContextLayer",
    "ImmutableIndexLayer",
    "SimulateLayer",
    "SimulationNotNeeded",
]
