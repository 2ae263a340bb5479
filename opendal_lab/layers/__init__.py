"""The optional layers, one per module (the critical ones live in ``opendal_lab.core.layers``
and are re-exported here, so ``from opendal_lab.layers import SimulateLayer`` keeps working).
Chaos and Retry are light and imported here; every other layer loads on first use, so
``from opendal_lab.layers import MetricsLayer`` works without making ``import opendal_lab``
pay for prometheus_client."""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

from opendal_lab.core.layers import (
    SWITCHES,
    CapabilityCheckLayer,
    CompleteLayer,
    CorrectnessCheckLayer,
    ErrorContextLayer,
    ImmutableIndexLayer,
    SimulateLayer,
    SimulationNotNeeded,
)
from opendal_lab.layers.chaos import ChaosLayer
from opendal_lab.layers.retry import RetryLayer

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ imports on first use
    from opendal_lab.layers.cache import CacheLayer as CacheLayer
    from opendal_lab.layers.capability_override import (
        CapabilityOverrideLayer as CapabilityOverrideLayer,
    )
    from opendal_lab.layers.concurrent_limit import ConcurrentLimitLayer as ConcurrentLimitLayer
    from opendal_lab.layers.logging import LoggingLayer as LoggingLayer
    from opendal_lab.layers.metrics import MetricsLayer as MetricsLayer
    from opendal_lab.layers.mime_guess import MimeGuessLayer as MimeGuessLayer
    from opendal_lab.layers.recorder import RecorderLayer as RecorderLayer
    from opendal_lab.layers.route import RouteLayer as RouteLayer
    from opendal_lab.layers.tail_cut import TailCutLayer as TailCutLayer
    from opendal_lab.layers.throttle import ThrottleLayer as ThrottleLayer
    from opendal_lab.layers.timeout import TimeoutLayer as TimeoutLayer
    from opendal_lab.layers.tracing import TracingLayer as TracingLayer

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
    "CacheLayer",
    "CapabilityOverrideLayer",
    "ConcurrentLimitLayer",
    "LoggingLayer",
    "MetricsLayer",
    "MimeGuessLayer",
    "RecorderLayer",
    "RouteLayer",
    "TailCutLayer",
    "ThrottleLayer",
    "TimeoutLayer",
    "TracingLayer",
]


def __getattr__(name: str) -> Any:
    # Each optional layer lives in the module named after it: MimeGuessLayer in mime_guess.
    if name.endswith("Layer") and name in __all__:
        module = re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Layer")).lower()
        return getattr(importlib.import_module(f"opendal_lab.layers.{module}"), name)
    raise AttributeError(f"module 'opendal_lab.layers' has no attribute {name!r}")
