"""FileSource on the fs service: Polars is handed the files opened through the root jail.

Pins down that the local path (``sources/files/local.py``) gives what Polars gives on the
paths (projection, filters, limit; file, packed and row-group partitions; union schemas),
that it is taken only on a bare fs operator, that it never reads the file through
``FsService.read``, and that it keeps the jail: a symlink out of the root is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab import Operator
from opendal_lab.core.errors import PermissionDenied
from opendal_lab.datasource import PartitionFailed, load, scan
from opendal_lab.datasource.sources.files import FileFormatError, FileSource
from opendal_lab.datasource.sources.files.local import local_service, open_local
from opendal_lab.services.fs import FsService
from tests.datasource.files_data import CountReads, frame, parquet

col = pl.col
QUERIES: list[Any] = [
    lambda lf: lf,
    lambda lf: lf.select("s", "n"),
    lambda lf: lf.filter(col("n") > 1_234).select("n", "f"),
    lambda lf: lf.filter(col("s").is_in(["s1", "s2"]) & (col("n") % 7 == 0)),
    lambda lf: lf.filter(col("b")).head(33),
    lambda lf: lf.select("d").head(5),
    lambda lf: lf.select(pl.len()),
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with data/part-00{0,1,2}.parquet (100 rows each, row groups of 16)."""
    top = tmp_path / "root"
    (top / "data").mkdir(parents=True)
    for i in range(3):
        (top / "data" / f"part-{i:03d}.parquet").write_bytes(parquet(frame(100, offset=100 * i)))
    return top


class OpenedFiles:
    """Records the paths ``FsService.open_fd`` opens (only the local path calls it), then
    lets the call through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = FsService.open_fd

        def spy(service: FsService, path: str) -> int:
            self.paths.append(path)
            return real(service, path)

        monkeypatch.setattr(FsService, "open_fd", spy)


def _open_fds(root: Path) -> list[str]:
    """The files under ``root`` this process holds open (other tests' sockets and threads
    come and go: only these are ours to count)."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("reads the descriptors in /proc/self/fd (Linux)")
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith(f"{root}/"):
            found.append(target)
    return found


# -- when it is taken ---------------------------------------------------------------------


def test_only_a_bare_fs_operator_has_the_local_path(tmp_path: Path) -> None:
    op = Operator("fs", root=str(tmp_path))
    assert isinstance(local_service(op), FsService)
    assert local_service(op.with_simulate(None)) is not None
    assert local_service(op.layer(CountReads())) is None  # a layer that sees reads
    assert local_service(Operator("memory")) is None


@pytest.mark.parametrize("partitioning", ["auto", "file", "row_group"])
def test_local_reads_equal_polars_on_the_paths(
    root: Path, partitioning: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"uri": f"fs://{root}", "path": "data/*.parquet", "partitioning": partitioning}
    opened = OpenedFiles(monkeypatch)
    ours = scan(FileSource, options)
    polars = pl.scan_parquet(f"{root}/data/*.parquet")
    for q in QUERIES:
        assert_frame_equal(q(ours).collect(), q(polars).collect())
    assert_frame_equal(load(FileSource, options), polars.collect())
    assert {f"data/part-{i:03d}.parquet" for i in range(3)} <= set(opened.paths)


def test_a_row_group_partition_reads_through_the_local_path(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"uri": f"fs://{root}", "path": "data/part-001.parquet"}
    source = FileSource(partitioning="row_group")
    source.infer_schema(options)
    specs = source.plan_partitions(options)
    assert len(specs) == 7  # 100 rows in groups of 16
    opened = OpenedFiles(monkeypatch)
    got = [f for s in specs for f in source.read_partition(s, options, columns=["n", "s"])]
    want = frame(100, offset=100).select("n", "s")
    assert_frame_equal(pl.concat(got), want)
    (piece,) = source.read_partition(specs[3], options, filters=[], limit=5)
    assert_frame_equal(piece, frame(100, offset=100).slice(48, 5))
    assert opened.paths == ["data/part-001.parquet"] * 8


def test_a_projected_read_of_a_big_file_uses_no_sparse_copy(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = frame(40_000)
    (root / "big.parquet").write_bytes(parquet(big, row_group_size=5_000))
    options = {"uri": f"fs://{root}", "path": "big.parquet"}
    lf = scan(FileSource, options)
    lf.collect_schema()
    from opendal_lab.datasource.sources.files import parquet as files_parquet

    monkeypatch.setattr(files_parquet, "COLUMNS_MIN", 0)  # the file counts as big

    def no_copy(*args: Any, **kw: Any) -> Any:
        raise AssertionError("the sparse-file path was taken")

    monkeypatch.setattr(files_parquet, "_read_columns", no_copy)
    opened = OpenedFiles(monkeypatch)
    got = lf.filter(col("n") >= 33_000).select("n", "s").head(100).collect()
    assert_frame_equal(got, big.filter(col("n") >= 33_000).select("n", "s").head(100))
    assert opened.paths == ["big.parquet"]


def test_ranged_never_still_reads_through_the_operator(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"uri": f"fs://{root}", "path": "data/", "ranged": "never"}
    opened = OpenedFiles(monkeypatch)
    got = scan(FileSource, options).select("n").collect()
    assert_frame_equal(got, frame(300).select("n"))
    assert opened.paths == []


def test_union_schemas_on_the_local_path(root: Path) -> None:
    narrow = frame(10, offset=300).with_columns(col("n").cast(pl.Int32)).drop("f")
    (root / "data" / "part-003.parquet").write_bytes(parquet(narrow))
    options = {"uri": f"fs://{root}", "path": "data/", "schema_mode": "union"}
    got = scan(FileSource, options).select("n", "f").collect()
    widened = narrow.select(col("n").cast(pl.Int64), pl.lit(None, pl.Float64).alias("f"))
    assert_frame_equal(got, pl.concat([frame(300).select("n", "f"), widened]))


# -- errors and descriptors ---------------------------------------------------------------


def _failed_read(root: Path, spec: dict[str, Any]) -> Exception:
    """What reading the partition ``spec`` of data/ raised, read in this thread (a load
    may still have other partitions running, files open, when it raises)."""
    options = {"uri": f"fs://{root}", "path": "data/part-000.parquet"}
    source = FileSource()
    source.infer_schema(options)
    with pytest.raises(Exception) as e:  # noqa: PT011 -- the callers check what it is
        list(source.read_partition(spec, options, columns=["n"]))
    return e.value


@pytest.mark.parametrize("data", [b"", b"this is not parquet at all", b"PAR1 nor this PAR1"])
def test_a_file_that_is_not_parquet_is_named(root: Path, data: bytes) -> None:
    (root / "data" / "part-001.parquet").write_bytes(data)
    options = {"uri": f"fs://{root}", "path": "data/", "partitioning": "file"}
    with pytest.raises(PartitionFailed, match=r"data/part-001\.parquet") as e:
        load(FileSource, options)
    cause = e.value.__cause__
    assert isinstance(cause, FileFormatError)
    assert cause.path == "data/part-001.parquet"
    assert "not a parquet file" in str(cause)
    packed = {"paths": [f"data/part-{i:03d}.parquet" for i in range(3)], "sizes": [1, 1, 1]}
    for spec in ({"path": "data/part-001.parquet", "size": 1}, packed):
        error = _failed_read(root, spec)
        assert isinstance(error, FileFormatError)
        assert error.path == "data/part-001.parquet"
        # The error is kept (as a caller keeps it): it must not keep the files open.
        assert _open_fds(root) == []


@pytest.mark.parametrize("partitioning", ["file", "row_group"])
def test_a_file_with_another_schema_is_named(root: Path, partitioning: str) -> None:
    odd = frame(100, offset=100).with_columns(col("n").cast(pl.Int32))
    (root / "data" / "part-001.parquet").write_bytes(parquet(odd))
    options = {"uri": f"fs://{root}", "path": "data/", "partitioning": partitioning}
    with pytest.raises(PartitionFailed, match=r"part-001\.parquet: has column 'n' as Int32"):
        load(FileSource, options)
    specs = FileSource().plan_partitions({**options, "path": "data/part-001.parquet"})
    error = _failed_read(root, specs[0])
    assert isinstance(error, FileFormatError)
    assert "has column 'n' as Int32" in str(error)
    assert _open_fds(root) == []


def test_the_files_are_closed_after_a_read(root: Path) -> None:
    options = {"uri": f"fs://{root}", "path": "data/"}
    for _ in range(3):
        load(FileSource, {**options, "partitioning": "row_group"})
        scan(FileSource, options).select("n").head(3).collect()
    assert _open_fds(root) == []


# -- the jail -----------------------------------------------------------------------------


def test_a_symlink_out_of_the_root_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = frame(7, offset=9_000)
    (outside / "secret.parquet").write_bytes(parquet(secret))
    os.symlink(outside / "secret.parquet", root / "data" / "part-009.parquet")
    os.symlink(outside, root / "out")
    service = local_service(Operator("fs", root=str(root)))
    assert service is not None
    for path in ("data/part-009.parquet", "out/secret.parquet"):
        with pytest.raises(PermissionDenied, match="outside the root"), open_local(service, [path]):
            pass
    source = FileSource()
    options = {"uri": f"fs://{root}", "path": "data/part-000.parquet"}
    source.infer_schema(options)
    for spec in (
        {"path": "data/part-009.parquet", "size": 1},
        {"paths": ["data/part-000.parquet", "out/secret.parquet"], "sizes": [1, 1]},
        {
            "path": "out/secret.parquet",
            "size": 1,
            "row_group": 0,
            "first_row": 0,
            "rows": 7,
            "footer": [0, 1],
            "chunks": {},
        },
    ):
        with pytest.raises(PermissionDenied):
            list(source.read_partition(spec, options, columns=["n"]))


def test_a_symlink_inside_the_root_is_read(root: Path) -> None:
    os.symlink("part-001.parquet", root / "data" / "link.parquet")
    os.symlink("data", root / "alias")
    options = {"uri": f"fs://{root}", "path": "data/part-000.parquet"}
    source = FileSource()
    source.infer_schema(options)
    for path in ("data/link.parquet", "alias/part-001.parquet"):
        (got,) = source.read_partition({"path": path, "size": 1}, options, columns=["n"])
        assert_frame_equal(got, frame(100, offset=100).select("n"))


def test_a_file_changed_or_gone_after_planning_is_named(root: Path) -> None:
    options = {"uri": f"fs://{root}", "path": "data/"}
    source = FileSource(partitioning="row_group")
    source.infer_schema(options)
    specs = source.plan_partitions(options)
    (root / "data" / "part-001.parquet").write_bytes(parquet(frame(90)))
    spec = next(s for s in specs if s["path"] == "data/part-001.parquet")
    with pytest.raises(FileFormatError, match=r"part-001\.parquet: is \d+ bytes, not the"):
        list(source.read_partition(spec, options))
    os.unlink(root / "data" / "part-002.parquet")
    with pytest.raises(FileNotFoundError) as e:
        list(source.read_partition({"path": "data/part-002.parquet", "size": 1}, options))
    assert "data/part-002.parquet" in str(e.value)
