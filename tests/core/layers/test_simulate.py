"""SimulateLayer, one switch at a time, against a fake service that records what it receives."""

from __future__ import annotations

import pickle
import warnings

import pytest

from opendal_lab import (
    Capability,
    NotFound,
    Operator,
    SimulateLayer,
    SimulationNotNeeded,
    Unsupported,
)
from opendal_lab.core.layers.simulate import SWITCH_FIELDS, SWITCHES
from opendal_lab.core.options import DEFAULT_WRITE
from tests.layers.fake import BASIC, FakeService

#: Everything a switch could simulate, native: no switch has anything to do.
FULL = BASIC.replace(
    list_with_recursive=True,
    list_with_start_after=True,
    list_with_limit=True,
    create_dir=True,
    delete_with_recursive=True,
    read_with_suffix=True,
)


def make(
    native: Capability = BASIC, simulate: SimulateLayer | None = None, **data: bytes
) -> tuple[FakeService, Operator, SimulateLayer]:
    """A fake with ``data`` (keys use ``__`` for ``/``) behind the default stack."""
    fake = FakeService(native_cap=native)
    fake.data.update({k.replace("__", "/"): v for k, v in data.items()})
    layer = simulate if simulate is not None else SimulateLayer(warn_unneeded=False)
    return fake, Operator.from_service(fake, simulate=layer), layer


def listed(op: Operator, path: str, **options: object) -> list[str]:
    return [e.path for e in op.list(path, **options)]


def off(switch: str) -> SimulateLayer:
    return SimulateLayer(warn_unneeded=False, **{switch: False})


# -- the effective capability ----------------------------------------------------------


def test_switch_fields_cover_every_switch_but_stat_dir() -> None:
    assert set(SWITCH_FIELDS) == set(SWITCHES) - {"stat_dir"}


@pytest.mark.parametrize(("switch", "field"), sorted(SWITCH_FIELDS.items()))
def test_switch_on_turns_its_missing_field_on_and_reports_it_simulated(
    switch: str, field: str
) -> None:
    _, op, _ = make()
    assert getattr(op.native_capability(), field) is False
    assert getattr(op.capability(), field) is True
    state = op.capability_report()[field]
    assert (state.state, state.layer, state.native, state.effective) == (
        "simulated",
        "SimulateLayer",
        False,
        True,
    )


@pytest.mark.parametrize(("switch", "field"), sorted(SWITCH_FIELDS.items()))
def test_switch_off_leaves_its_field_false(switch: str, field: str) -> None:
    _, op, _ = make(simulate=off(switch))
    assert getattr(op.capability(), field) is False
    assert op.capability_report()[field].state == "unsupported"
    # The other switches still act.
    others = {f for s, f in SWITCH_FIELDS.items() if s != switch}
    assert all(getattr(op.capability(), f) for f in others)


@pytest.mark.parametrize(("switch", "field"), sorted(SWITCH_FIELDS.items()))
def test_each_switch_alone_changes_only_its_field(switch: str, field: str) -> None:
    layer = SimulateLayer.none().with_switch(switch, True)
    assert layer.capability(BASIC).diff(BASIC) == {field: (True, False)}


def test_stat_dir_switch_changes_no_field() -> None:
    layer = SimulateLayer.none().with_switch("stat_dir", True)
    assert layer.capability(BASIC) == BASIC
    assert layer.active(BASIC)["stat_dir"] is True


@pytest.mark.parametrize(("switch", "field"), sorted(SWITCH_FIELDS.items()))
def test_native_field_is_reported_native_not_simulated(switch: str, field: str) -> None:
    _, op, _ = make(native=FULL)
    state = op.capability_report()[field]
    assert (state.state, state.layer, state.changes) == ("native", None, ())


def test_field_stays_false_when_the_needed_primitives_are_missing() -> None:
    # create_dir needs empty writes, delete_recursive needs delete, read_with_suffix needs stat.
    bare = BASIC.replace(write_can_empty=False, delete=False, stat=False)
    cap = SimulateLayer().capability(bare)
    assert (cap.create_dir, cap.delete_with_recursive, cap.read_with_suffix) == (
        False,
        False,
        False,
    )
    # list_* switches need list at all.
    no_list = SimulateLayer().capability(BASIC.replace(list=False))
    assert not no_list.list_with_recursive
    assert not no_list.list_with_limit
    assert not no_list.list_with_start_after


# -- list_recursive ----------------------------------------------------------------------


def test_list_recursive_walks_plain_lists_depth_first() -> None:
    fake, op, layer = make(a__b__c=b"1", a__d=b"2", a__e__f=b"3", z=b"4")
    assert listed(op, "a/", recursive=True) == ["a/", "a/b/", "a/b/c", "a/d", "a/e/", "a/e/f"]
    lists = fake.calls_of("list")
    assert [(c.path, c.options.recursive) for c in lists] == [
        ("a/", False),
        ("a/b/", False),
        ("a/e/", False),
    ]
    assert layer.counters["list_recursive"] == 1


def test_list_recursive_of_a_file_prefix_keeps_the_prefix() -> None:
    _, op, _ = make(a__d=b"1", a__dd__x=b"2", a__e=b"3")
    assert listed(op, "a/d", recursive=True) == ["a/d", "a/dd/", "a/dd/x"]


def test_list_recursive_native_is_forwarded_untouched() -> None:
    fake, op, layer = make(native=FULL, a__b__c=b"1")
    assert listed(op, "a/", recursive=True) == ["a/", "a/b/c"]
    (call,) = fake.calls_of("list")
    assert call.options.recursive is True
    assert layer.counters["list_recursive"] == 0


def test_list_recursive_off_is_unsupported_and_reaches_nothing() -> None:
    fake, op, layer = make(simulate=off("list_recursive"), a__b=b"1")
    with pytest.raises(Unsupported, match="list_recursive") as info:
        op.list("a/", recursive=True)
    assert info.value.context["argument"] == "recursive"
    assert fake.calls == []
    assert layer.counters["list_recursive"] == 0


# -- list_start_after --------------------------------------------------------------------


def test_list_start_after_skips_up_to_the_key() -> None:
    fake, op, layer = make(d__a=b"1", d__b=b"2", d__c=b"3")
    assert listed(op, "d/", start_after="d/a") == ["d/b", "d/c"]
    (call,) = fake.calls_of("list")
    assert call.options.start_after is None
    assert layer.counters["list_start_after"] == 1


def test_list_start_after_with_recursive_counts_both() -> None:
    _, op, layer = make(d__a__x=b"1", d__b__y=b"2", d__c=b"3")
    assert listed(op, "d/", recursive=True, start_after="d/a/x") == ["d/b/", "d/b/y", "d/c"]
    assert layer.counters["list_start_after"] == 1
    assert layer.counters["list_recursive"] == 1


def test_list_start_after_native_is_forwarded() -> None:
    fake, op, layer = make(native=FULL, d__a=b"1", d__b=b"2")
    assert listed(op, "d/", start_after="d/a") == ["d/b"]
    assert fake.calls_of("list")[0].options.start_after == "d/a"
    assert layer.counters["list_start_after"] == 0


def test_list_start_after_off_is_unsupported() -> None:
    fake, op, _ = make(simulate=off("list_start_after"), d__a=b"1")
    with pytest.raises(Unsupported, match="start_after"):
        op.list("d/", start_after="d/a")
    assert fake.calls == []


# -- list_limit --------------------------------------------------------------------------


def test_list_limit_is_a_page_size_hint_every_entry_still_comes() -> None:
    fake, op, layer = make(**{f"d__{i}": b"x" for i in range(5)})
    assert listed(op, "d/", limit=2) == ["d/", *(f"d/{i}" for i in range(5))]
    assert fake.calls_of("list")[0].options.limit is None
    assert layer.counters["list_limit"] == 1


def test_list_limit_native_is_forwarded() -> None:
    fake, op, layer = make(native=FULL, d__a=b"1")
    assert listed(op, "d/", limit=7) == ["d/", "d/a"]
    assert fake.calls_of("list")[0].options.limit == 7
    assert layer.counters["list_limit"] == 0


def test_list_limit_off_is_unsupported() -> None:
    fake, op, _ = make(simulate=off("list_limit"), d__a=b"1")
    with pytest.raises(Unsupported, match="limit"):
        op.list("d/", limit=2)
    assert fake.calls == []


def test_plain_list_is_forwarded_with_no_count() -> None:
    fake, op, layer = make(d__a=b"1")
    assert listed(op, "d/") == ["d/", "d/a"]
    assert len(fake.calls_of("list")) == 1
    assert set(layer.counters.values()) == {0}


# -- stat_dir ----------------------------------------------------------------------------


def test_stat_dir_lists_one_entry_instead_of_stat() -> None:
    fake, op, layer = make(d__f=b"1")
    assert op.stat("d/").is_dir
    assert fake.calls_of("stat") == []
    (probe,) = fake.calls_of("list")
    assert (probe.path, probe.options.limit, probe.options.recursive) == ("d/", 1, False)
    assert layer.counters["stat_dir"] == 1


def test_stat_dir_probe_is_recursive_where_listing_is_natively() -> None:
    fake, op, _ = make(native=BASIC.replace(list_with_recursive=True), d__e__f=b"1")
    assert op.stat("d/").is_dir
    assert fake.calls_of("list")[0].options.recursive is True


def test_stat_dir_of_an_empty_prefix_is_not_found_with_context() -> None:
    _, op, layer = make(d__f=b"1")
    with pytest.raises(NotFound) as info:
        op.stat("e/")
    assert (info.value.operation, info.value.service, info.value.path) == ("stat", "fake", "e/")
    assert layer.counters["stat_dir"] == 1


def test_stat_dir_leaves_root_and_files_to_the_service() -> None:
    fake, op, layer = make(f=b"1")
    assert op.stat("/").is_dir
    assert op.stat("f").content_length == 1
    assert [c.path for c in fake.calls_of("stat")] == ["/", "f"]
    assert layer.counters["stat_dir"] == 0


def test_stat_dir_not_needed_where_create_dir_is_native() -> None:
    fake, op, layer = make(native=FULL, d__f=b"1")
    with pytest.raises(NotFound):  # the fake has no `d/` marker
        op.stat("d/")
    assert [c.path for c in fake.calls_of("stat")] == ["d/"]
    assert layer.counters["stat_dir"] == 0


def test_stat_dir_off_leaves_stat_to_the_service() -> None:
    fake, op, layer = make(simulate=off("stat_dir"), d__f=b"1")
    with pytest.raises(NotFound):  # the object store has no `d/` object
        op.stat("d/")
    assert [c.path for c in fake.calls_of("stat")] == ["d/"]
    assert fake.calls_of("list") == []
    assert layer.counters["stat_dir"] == 0


# -- create_dir --------------------------------------------------------------------------


def test_create_dir_writes_an_empty_marker() -> None:
    fake, op, layer = make()
    op.create_dir("d/")
    (call,) = fake.calls
    assert (call.operation, call.path, call.options) == ("write", "d/", DEFAULT_WRITE)
    assert fake.data == {"d/": b""}
    assert layer.counters["create_dir"] == 1
    assert op.stat("d/").is_dir
    assert listed(op, "/") == ["/", "d/"]


def test_create_dir_native_is_forwarded() -> None:
    fake, op, layer = make(native=FULL)
    op.create_dir("d/")
    assert fake.ops() == ["create_dir"]
    assert layer.counters["create_dir"] == 0


def test_create_dir_off_is_unsupported_and_writes_nothing() -> None:
    fake, op, _ = make(simulate=off("create_dir"))
    with pytest.raises(Unsupported, match="create_dir"):
        op.create_dir("d/")
    assert fake.calls == []
    assert fake.data == {}


def test_create_dir_cannot_be_simulated_without_empty_writes() -> None:
    fake, op, _ = make(native=BASIC.replace(write_can_empty=False))
    assert op.capability().create_dir is False
    with pytest.raises(Unsupported):
        op.create_dir("d/")
    assert fake.data == {}


# -- delete_recursive --------------------------------------------------------------------


def test_delete_recursive_lists_then_batch_deletes_deepest_first() -> None:
    fake, op, layer = make(d__a=b"1", d__b__c=b"2", d__b__e=b"3", other=b"4")
    op.delete("d/", recursive=True)
    assert fake.data == {"other": b"4"}
    (batch,) = fake.calls_of("delete_many")
    assert batch.options == ["d/b/e", "d/b/c", "d/b/", "d/a", "d/"]
    assert fake.calls_of("delete") == []
    assert layer.counters["delete_recursive"] == 1


def test_delete_recursive_batches_by_delete_max_size() -> None:
    native = BASIC.replace(delete_max_size=2)
    fake, op, _ = make(native=native, **{f"d__{i}": b"x" for i in range(5)})
    op.delete("d/", recursive=True)
    batches = [c.options for c in fake.calls_of("delete_many")]
    assert all(len(b) <= 2 for b in batches)
    assert sorted(p for b in batches for p in b) == ["d/", *(f"d/{i}" for i in range(5))]
    assert fake.data == {}


def test_delete_recursive_of_a_file_path_takes_it_and_its_subtree_only() -> None:
    fake, op, _ = make(d=b"1", d__x=b"2", dd=b"3")
    op.delete("d", recursive=True)
    assert fake.data == {"dd": b"3"}


def test_delete_recursive_native_is_forwarded() -> None:
    fake, op, layer = make(native=FULL, d__a=b"1")
    op.delete("d/", recursive=True)
    (call,) = fake.calls
    assert (call.operation, call.options.recursive) == ("delete", True)
    assert layer.counters["delete_recursive"] == 0


def test_delete_recursive_off_is_unsupported_and_deletes_nothing() -> None:
    fake, op, _ = make(simulate=off("delete_recursive"), d__a=b"1")
    with pytest.raises(Unsupported, match="recursive"):
        op.delete("d/", recursive=True)
    assert fake.data == {"d/a": b"1"}
    assert fake.calls == []


# -- read_with_suffix --------------------------------------------------------------------


def test_read_with_suffix_stats_then_reads_a_range() -> None:
    fake, op, layer = make(f=b"0123456789")
    assert op.read("f", suffix=3) == b"789"
    assert fake.ops() == ["stat", "read"]
    read = fake.calls_of("read")[0].options
    assert (read.offset, read.size, read.suffix) == (7, None, None)
    assert layer.counters["read_with_suffix"] == 1


def test_read_with_suffix_longer_than_the_object_returns_it_whole() -> None:
    _, op, _ = make(f=b"abc")
    assert op.read("f", suffix=100) == b"abc"


def test_read_with_suffix_native_is_forwarded() -> None:
    fake, op, layer = make(native=FULL, f=b"0123456789")
    assert op.read("f", suffix=3) == b"789"
    assert fake.ops() == ["read"]
    assert fake.calls[0].options.suffix == 3
    assert layer.counters["read_with_suffix"] == 0


def test_read_with_suffix_off_is_unsupported_with_a_hint() -> None:
    fake, op, _ = make(simulate=off("read_with_suffix"), f=b"0123456789")
    with pytest.raises(Unsupported) as info:
        op.read("f", suffix=3)
    assert "SimulateLayer's 'read_with_suffix' switch" in str(info.value)
    assert fake.calls == []


# -- counters, switches, warnings, pickling ----------------------------------------------


def test_counters_start_at_zero_and_count_every_run() -> None:
    _, op, layer = make(d__f=b"1", f=b"12345")
    assert layer.counters == dict.fromkeys(SWITCHES, 0)
    for _ in range(3):
        op.read("f", suffix=1)
    op.stat("d/")
    assert layer.counters["read_with_suffix"] == 3
    assert layer.counters["stat_dir"] == 1


def test_with_switch_returns_a_new_layer() -> None:
    layer = SimulateLayer(warn_unneeded=False)
    layer.count("stat_dir")
    other = layer.with_switch("stat_dir", False)
    assert other is not layer
    assert other.switches["stat_dir"] is False
    assert layer.switches["stat_dir"] is True
    assert other.counters["stat_dir"] == 0
    assert other.warn_unneeded is False
    assert {k for k, v in other.switches.items() if not v} == {"stat_dir"}
    assert "stat_dir" in repr(other)


def test_with_switch_rejects_unknown_names_and_bad_values() -> None:
    with pytest.raises(KeyError, match="list_recursive"):
        SimulateLayer().with_switch("no_such_switch", True)
    with pytest.raises(TypeError, match="stat_dir"):
        SimulateLayer(stat_dir="yes")  # type: ignore[arg-type]


def test_none_turns_every_switch_off() -> None:
    layer = SimulateLayer.none()
    assert not any(layer.switches.values())
    assert layer.capability(BASIC) == BASIC
    with pytest.warns(SimulationNotNeeded):
        _, op, _ = make(simulate=layer)
    assert op.capability() == op.native_capability()
    assert all(s.state != "simulated" for s in op.capability_report().values())


def test_warns_when_added_to_a_service_that_needs_no_switch() -> None:
    with pytest.warns(SimulationNotNeeded, match="'fake'"):
        SimulateLayer().wrap(FakeService(native_cap=FULL))
    with pytest.warns(SimulationNotNeeded):
        Operator.from_service(FakeService(native_cap=FULL), simulate=SimulateLayer())


def test_warns_when_every_needed_switch_is_off() -> None:
    with pytest.warns(SimulationNotNeeded):
        SimulateLayer.none().wrap(FakeService())


def test_no_warning_where_a_switch_acts_or_from_the_default_stack() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SimulateLayer().wrap(FakeService())
        Operator.from_service(FakeService(native_cap=FULL))
        Operator("memory", name="simulate-no-warning")
        SimulateLayer(warn_unneeded=False).wrap(FakeService(native_cap=FULL))


def test_pickling_keeps_switches_counters_and_a_working_lock() -> None:
    layer = SimulateLayer(stat_dir=False, warn_unneeded=False)
    layer.count("list_limit")
    copy = pickle.loads(pickle.dumps(layer))
    assert copy.switches == layer.switches
    assert copy.counters == layer.counters
    assert copy.warn_unneeded is False
    copy.count("list_limit")
    assert copy.counters["list_limit"] == 2
    assert layer.counters["list_limit"] == 1


def test_pickled_operator_keeps_its_simulate_switches() -> None:
    op = Operator("memory", name="simulate-pickle", simulate=off("create_dir"))
    copy = pickle.loads(pickle.dumps(op))
    assert copy.simulate is not None
    assert copy.simulate.switches["create_dir"] is False  # type: ignore[attr-defined]
    assert copy.capability().create_dir is False
    assert copy.capability() == op.capability()
