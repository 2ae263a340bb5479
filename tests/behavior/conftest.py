"""Behavior suite fixtures: one ``op`` per service and simulation, gated by capability.

Modelled on OpenDAL's ``core/tests/behavior``: every test takes ``op`` and runs once for
each selected service, with the default SimulateLayer (``-sim``) and without one
(``-nosim``), so the ids read ``memory-sim``, ``memory-nosim``, ``fs-sim``, ``fs-nosim``.

Selection by environment, as OpenDAL's ``OPENDAL_TEST``:

- ``OPENDAL_LAB_TEST=memory`` or ``=memory,fs`` picks schemes (unset: every one in
  ``SERVICES``);
- ``OPENDAL_LAB_SIMULATE=on|off|both`` picks the simulation side (default ``both``, but
  ``sim`` alone for the obstore server stores: ``_DEFAULT_SIDES``).

Gates, read from the operator's *effective* capability (``op.capability()``):

- ``@pytest.mark.need_capability("write_can_append", ...)``: run only where every field is
  set; otherwise skip, naming the missing field.
- ``@pytest.mark.lacks_capability("list_with_recursive", ...)``: run only where every field
  is unset; for tests of what a missing capability does (it must raise ``Unsupported``).
"""

from __future__ import annotations

import http.client
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from opendal_lab import Capability, Operator
from opendal_lab.core.layers.simulate import SimulateLayer
from tests.azurite import azure_container, azurite_server  # noqa: F401 - fixtures
from tests.servers import MotoServer

ServiceFactory = Callable[[pytest.FixtureRequest, dict[str, Any]], Operator]


def _memory(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    # Stores are process-wide by name: a fresh name per test starts empty.
    return Operator("memory", name=f"behavior-{uuid.uuid4().hex}", **simulate)


def _fs(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    root = request.getfixturevalue("tmp_path")
    return Operator("fs", root=str(root), **simulate)


def _s3(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    server = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("s3_bucket")
    return Operator("s3", **server.config(bucket), **simulate)


def _s3_versioned(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    server = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("s3_versioned_bucket")
    return Operator("s3", **server.config(bucket, enable_versioning=True), **simulate)


def _fsspec_memory(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    # fsspec's memory store is process-wide: a fresh root per test starts empty.
    root = f"/behavior-{uuid.uuid4().hex}"
    return Operator("fsspec", protocol="memory", root=root, **simulate)


def _fsspec_local(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    root = request.getfixturevalue("tmp_path")
    return Operator("fsspec", protocol="file", root=str(root), **simulate)


def _fsspec_s3(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    server = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("s3_bucket")
    return Operator(
        "fsspec",
        protocol="s3",
        root=bucket,
        key=server.access_key_id,
        secret=server.secret_access_key,
        client_kwargs={"endpoint_url": server.endpoint, "region_name": server.region},
        skip_instance_cache=True,  # s3fs caches listings per instance: one per test
        **simulate,
    )


def _opendal_memory(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    return Operator("opendal", scheme="memory", **simulate)


def _opendal_fs(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    root = request.getfixturevalue("tmp_path")
    return Operator("opendal", scheme="fs", root=str(root), **simulate)


def _obstore_simulate(simulate: dict[str, Any]) -> dict[str, Any]:
    # obstore cannot store a `d/` key (object_store drops the `/`): SimulateLayer's
    # create_dir marker is accepted and stores nothing (s3fs's mkdir), so an empty dir
    # never shows. Switched off, the capability says create_dir is not there.
    return simulate or {"simulate": SimulateLayer(create_dir=False, warn_unneeded=False)}


def _obstore_memory(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    return Operator("obstore", url="memory:///", **_obstore_simulate(simulate))


@pytest.fixture
def obstore_s3_bucket(moto_server: MotoServer) -> Iterator[str]:
    """A fresh bucket made by one plain PUT (moto checks no signature): a botocore client
    per bucket, as ``s3_bucket`` builds, costs about a second, most of a test's time."""
    name = f"obstore-{uuid.uuid4().hex[:16]}"
    endpoint = urlsplit(moto_server.endpoint)
    conn = http.client.HTTPConnection(endpoint.hostname or "", endpoint.port, timeout=10)
    try:
        conn.request("PUT", f"/{name}")
        assert conn.getresponse().status == 200, f"moto refused to create bucket {name}"
    finally:
        conn.close()
    yield name
    moto_server.reset()


def _obstore_local(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    root = request.getfixturevalue("tmp_path")
    return Operator("obstore", url=f"file://{root}", **_obstore_simulate(simulate))


def _obstore_s3(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    server = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("obstore_s3_bucket")
    config = server.config(bucket)
    config["url"] = f"s3://{config.pop('bucket')}"
    return Operator("obstore", **config, allow_http=True, **_obstore_simulate(simulate))


def _obstore_azure(request: pytest.FixtureRequest, simulate: dict[str, Any]) -> Operator:
    server = request.getfixturevalue("azurite_server")
    container = request.getfixturevalue("azure_container")
    config = server.obstore_config(container)
    return Operator("obstore", **config, **_obstore_simulate(simulate))


#: Every service the suite can run against, by scheme.
#:
#: To add one, write ``def _scheme(request, simulate) -> Operator`` that returns an empty
#: operator for a single test: pass ``**simulate`` on to ``Operator`` (it is ``{}`` for the
#: default SimulateLayer or ``{"simulate": None}`` for none), and take whatever else it needs
#: (a moto server, a temporary bucket) with ``request.getfixturevalue(name)``. Then add
#: ``"scheme": _scheme`` here; ``OPENDAL_LAB_TEST=scheme`` runs the suite on it alone.
SERVICES: dict[str, ServiceFactory] = {
    "memory": _memory,
    "fs": _fs,
    "s3": _s3,
    "s3-versioned": _s3_versioned,
    "fsspec-memory": _fsspec_memory,
    "fsspec-local": _fsspec_local,
    "fsspec-s3": _fsspec_s3,
    "opendal-memory": _opendal_memory,
    "opendal-fs": _opendal_fs,
    "obstore-memory": _obstore_memory,
    "obstore-local": _obstore_local,
    "obstore-s3": _obstore_s3,
    "obstore-azure": _obstore_azure,
}

_SIMULATE: dict[str, dict[str, Any]] = {"sim": {}, "nosim": {"simulate": None}}
_SIMULATE_CHOICES = {"on": ("sim",), "off": ("nosim",), "both": ("sim", "nosim")}
#: Sides a service runs on when OPENDAL_LAB_SIMULATE is not set (default: both). obstore's
#: stores share one service class, whose no-simulation side obstore-memory already runs
#: in full; on a server each side costs 15-20 s of CI, so the server stores run the side
#: users get by default. OPENDAL_LAB_SIMULATE=both runs them on both.
_DEFAULT_SIDES = {"obstore-s3": ("sim",), "obstore-azure": ("sim",)}


def _selected_schemes() -> list[str]:
    raw = os.environ.get("OPENDAL_LAB_TEST", "").strip()
    if not raw:
        return list(SERVICES)
    schemes = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in schemes if s not in SERVICES]
    if unknown:
        raise pytest.UsageError(
            f"OPENDAL_LAB_TEST names unknown scheme(s) {', '.join(unknown)}; "
            f"the behavior suite knows: {', '.join(SERVICES)}"
        )
    return schemes


def _selected_simulation(scheme: str) -> tuple[str, ...]:
    raw = os.environ.get("OPENDAL_LAB_SIMULATE", "").strip().lower()
    if not raw:
        return _DEFAULT_SIDES.get(scheme, _SIMULATE_CHOICES["both"])
    if raw not in _SIMULATE_CHOICES:
        raise pytest.UsageError(
            f"OPENDAL_LAB_SIMULATE must be one of {', '.join(_SIMULATE_CHOICES)}, got {raw!r}"
        )
    return _SIMULATE_CHOICES[raw]


CASES = [(s, sim) for s in _selected_schemes() for sim in _selected_simulation(s)]


def pytest_configure(config: pytest.Config) -> None:
    # need_capability is declared in pyproject.toml; this one belongs to the suite alone.
    config.addinivalue_line(
        "markers",
        "lacks_capability(*fields): run only where the operator's effective capability "
        "has none of the fields",
    )


def _fields(marker: pytest.Mark) -> tuple[str, ...]:
    known = Capability.field_names()
    for field in marker.args:
        if field not in known:
            raise pytest.UsageError(f"{marker.name}: {field!r} is not a Capability field")
    return tuple(marker.args)


def _apply_gates(request: pytest.FixtureRequest, op: Operator, case: str) -> None:
    cap = op.capability()
    for marker in request.node.iter_markers("need_capability"):
        for field in _fields(marker):
            if getattr(cap, field) in (False, None):
                pytest.skip(f"{case}: capability {field} is not supported")
    for marker in request.node.iter_markers("lacks_capability"):
        for field in _fields(marker):
            if getattr(cap, field) not in (False, None):
                pytest.skip(f"{case}: capability {field} is supported")


@pytest.fixture(params=CASES, ids=[f"{s}-{sim}" for s, sim in CASES])
def op(request: pytest.FixtureRequest) -> Operator:
    """An empty operator for one service, with or without the default SimulateLayer."""
    scheme, sim = request.param
    operator = SERVICES[scheme](request, _SIMULATE[sim])
    _apply_gates(request, operator, f"{scheme}-{sim}")
    return operator
