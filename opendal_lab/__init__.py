"""opendal_lab: Apache OpenDAL's layered storage operator, in Python, for Jupyter users.

>>> import opendal_lab as od
>>> op = od.Operator("memory")
>>> op.write("hello.txt", b"hi")
>>> op.capability_report()["create_dir"].state
'simulated'
"""

import importlib.metadata

from opendal_lab.core.access import (
    Access,
    AccessInfo,
    BaseLayer,
    Layer,
    LayeredAccess,
    Service,
    Writer,
)
from opendal_lab.core.async_operator import AsyncOperator
from opendal_lab.core.capability import GROUPS, Capability
from opendal_lab.core.errors import (
    AlreadyExists,
    ConditionNotMatch,
    ConfigInvalid,
    Conflict,
    Error,
    ErrorKind,
    ErrorStatus,
    IsADirectory,
    IsSameFile,
    NotADirectory,
    NotFound,
    PermissionDenied,
    RangeNotSatisfied,
    RateLimited,
    Timeout,
    Unexpected,
    Unsupported,
)
from opendal_lab.core.http_client import HttpClientConfig
from opendal_lab.core.operator import CapabilityChange, FieldState, Operator, StackLevel
from opendal_lab.core.registry import (
    layer_names,
    register_layer,
    register_service,
    schemes,
)
from opendal_lab.core.types import Entry, EntryMode, Metadata, PresignedRequest
from opendal_lab.core.wrapping import CallWrapper, OperationObserver
from opendal_lab.layers import (
    CapabilityCheckLayer,
    ChaosLayer,
    CompleteLayer,
    CorrectnessCheckLayer,
    ErrorContextLayer,
    ImmutableIndexLayer,
    RetryLayer,
    SimulateLayer,
    SimulationNotNeeded,
)

__version__ = importlib.metadata.version("opendal-lab")

__all__ = [
    "GROUPS",
    "Access",
    "AccessInfo",
    "AlreadyExists",
    "AsyncOperator",
    "BaseLayer",
    "CallWrapper",
    "Capability",
    "CapabilityChange",
    "CapabilityCheckLayer",
    "ChaosLayer",
    "CompleteLayer",
    "ConditionNotMatch",
    "ConfigInvalid",
    "Conflict",
    "CorrectnessCheckLayer",
    "Entry",
    "EntryMode",
    "Error",
    "ErrorContextLayer",
    "ErrorKind",
    "HttpClientConfig",
    "ImmutableIndexLayer",
    "ErrorStatus",
    "FieldState",
    "IsADirectory",
    "IsSameFile",
    "Layer",
    "LayeredAccess",
    "OperationObserver",
    "Metadata",
    "NotADirectory",
    "NotFound",
    "Operator",
    "PermissionDenied",
    "PresignedRequest",
    "RangeNotSatisfied",
    "RateLimited",
    "RetryLayer",
    "Service",
    "SimulateLayer",
    "SimulationNotNeeded",
    "StackLevel",
    "Timeout",
    "Unexpected",
    "Unsupported",
    "Writer",
    "__version__",
    "layer_names",
    "register_layer",
    "register_service",
    "schemes",
]
