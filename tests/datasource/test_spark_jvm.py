"""The same sources on a real JVM Spark (PySpark 4.1+, ``local[2]``) through the adapter.

test_spark.py runs them on Sail with ``pyspark-client``; ``pyspark``, the full package with
Spark's jars, provides the same ``pyspark`` module, so the JVM Spark lives in a virtualenv of
its own: ``.venv-spark/`` at the repository root (gitignored), built with uv on first use
and reused afterwards (rebuilt when pyproject.toml or the requirements below change). It
holds ``pyspark[sql]`` (pandas and pyarrow, which Spark's Python workers need) and this
repository, editable, with the ``datasource`` and ``sql`` extras -- not ``spark``, whose
``pyspark-client`` would replace ``pyspark``. Java 17+ must be on PATH (``make test``
installs it with apt-get when missing).

Spark starts once for the module: tests/datasource/spark_jvm_job.py runs every case in one
session and writes one JSON document; the tests here compare it with ``load`` and Polars.
The job runs in a session of its own, so whatever it leaves behind (the JVM, Spark's Python
daemon and workers) is found by session id, reported and killed.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from opendal_lab import Operator
from opendal_lab.datasource import FileSource, RangeSource, load
from tests.datasource.files_data import Store, hive_files
from tests.datasource.sources import numbers
from tests.datasource.spark_jvm_job import PUSHDOWN_CONF
from tests.venvs import run, uv

ROOT = Path(__file__).resolve().parent.parent.parent
SPARK_VENV = ROOT / ".venv-spark"
JOB = Path(__file__).with_name("spark_jvm_job.py")
# pushFilters needs Spark 4.1+. Not the `spark` extra: its pyspark-client replaces pyspark.
REQUIREMENTS = ["pyspark[sql]>=4.1", f"-e{ROOT}[datasource,sql]"]
INSTALL_TIMEOUT = 900  # the first build downloads pyspark (~450 MB)
JOB_TIMEOUT = 300


def spark_python() -> Path:
    """The Spark virtualenv's interpreter, the virtualenv built or brought up to date first."""
    python = SPARK_VENV / "bin" / "python"
    # Rebuilt when the requirements, pyproject.toml or this interpreter change.
    recipe = [*REQUIREMENTS, sys.executable, sys.version, (ROOT / "pyproject.toml").read_text()]
    wanted = hashlib.sha256("\n".join(recipe).encode()).hexdigest()
    SPARK_VENV.mkdir(exist_ok=True)
    stamp = SPARK_VENV / ".opendal-lab-installed"
    # One builder at a time (two pytest runs of the same checkout); the others wait. Not
    # the virtualenv's ".lock": uv locks that one itself, and would wait 5 minutes on ours.
    with open(SPARK_VENV / ".opendal-lab-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        venv = [uv(), "venv", "--quiet", "--allow-existing", "--python", sys.executable]
        run([*venv, str(SPARK_VENV)], ROOT, timeout=INSTALL_TIMEOUT)
        install = [uv(), "pip", "install", "--quiet", "--python", str(python), *REQUIREMENTS]
        run(install, ROOT, timeout=INSTALL_TIMEOUT)
        stamp.write_text(wanted)
    return python


def session_processes(sid: int) -> list[tuple[int, str]]:
    """``(pid, command line)`` of every live process in session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # fields[3]: the session id
            found.append((int(entry.name), cmdline.strip()))
    return found


def write_inputs(base: Path) -> dict[str, str]:
    hive = base / "hive"
    hive_files(Store("fs", {}, Operator.from_uri(f"fs://{hive}")))

    broken = base / "broken"
    broken.mkdir()
    pl.DataFrame({"n": [1]}).write_parquet(broken / "a.parquet")
    (broken / "b.parquet").write_bytes(b"not parquet at all")

    conn = sqlite3.connect(base / "t.db")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, s TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", sql_rows())
    conn.commit()
    conn.close()

    logs = base / "logs"
    logs.mkdir()
    (base / "out").mkdir()
    return {
        "out": str(base / "out"),
        "hive": str(hive),
        "broken": str(broken),
        "sqlite": str(base / "t.db"),
        "logs": str(logs),
    }


def sql_rows() -> list[tuple[int, int | None, str]]:
    return [(i, None if i % 10 == 0 else i % 97, f"r{i}") for i in range(2000)]


@pytest.fixture(scope="module")
def jvm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The job's JSON result, plus ``left_behind``: processes alive after it exited."""
    if shutil.which("java") is None:
        pytest.fail(
            "no java here: `make test` installs it (apt-get install openjdk-17-jre-headless)"
        )
    python = spark_python()
    base = tmp_path_factory.mktemp("spark_jvm")
    config = base / "config.json"
    config.write_text(json.dumps(write_inputs(base)))
    result = base / "result.json"
    # Nothing of this process's Spark setup may leak into the job: the Sail tests, when they
    # ran first in this worker, left SPARK_HOME, SPARK_REMOTE and SPARK_CONNECT_MODE_ENABLED
    # behind, and the last two turn getOrCreate() into a Spark Connect client.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SPARK_", "PYSPARK_")) and name != "VIRTUAL_ENV"
    }
    env |= {"PYTHONPATH": str(ROOT), "SPARK_LOCAL_IP": "127.0.0.1"}
    job = subprocess.Popen(
        [str(python), str(JOB), str(config), str(result)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its session holds the JVM and Spark's Python workers
    )
    output = f"no answer in {JOB_TIMEOUT} s"
    try:
        output, _ = job.communicate(timeout=JOB_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    finally:
        # The JVM exits a second or so after the driver (when its pipe closes); whatever is
        # still there after 20 s is left behind: reported, and killed by process id.
        deadline = time.monotonic() + 20
        while (left := session_processes(job.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        job.wait()
    assert job.returncode == 0, f"the Spark job failed:\n{output[-5000:]}"
    return {**json.loads(result.read_text()), "left_behind": left, "base": str(base)}


def case(jvm: dict[str, Any], name: str) -> dict[str, Any]:
    got: dict[str, Any] = jvm[name]
    assert "error" not in got, got.get("trace", got["error"])
    return got


def plain(rows: list[Any]) -> list[list[Any]]:
    """Rows as the job writes them: lists, dates as ISO strings."""

    def value(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime.date) else v

    return [[value(v) for v in row] for row in rows]


def test_spark_is_a_jvm_spark_with_pushdown(jvm: dict[str, Any]) -> None:
    major, minor = (int(p) for p in jvm["spark_version"].split(".")[:2])
    assert (major, minor) >= (4, 1), jvm["spark_version"]  # pushFilters came in 4.1
    assert jvm["packages"]["pyspark"] == jvm["spark_version"]
    assert jvm["packages"]["pyspark-client"] is None  # it would shadow pyspark's jars


def test_range_source_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "range")
    expected = load(RangeSource, {"rows": "1000", "partitions": "4"}).sort("id")
    assert got["columns"] == expected.columns
    assert got["rows"] == plain(expected.rows())
    assert got["filtered_count"] == 10
    assert got["types"] == {"id": "int", "half": "float", "label": "str"}


def test_file_source_with_hive_partitions_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "files")
    options = {"uri": f"fs://{jvm['base']}/hive", "path": "data/"}
    order = ["year", "country", "n"]
    loaded = load(FileSource, options).sort(order)
    # What the files hold, by Polars alone: the same rows.
    frame = pl.read_parquet(f"{jvm['base']}/hive/data/**/*.parquet", hive_partitioning=True)
    assert sorted(frame.columns) == sorted(loaded.columns)
    assert frame.select(loaded.columns).sort(order).rows() == loaded.rows()

    assert got["columns"] == loaded.columns == ["n", "s", "f", "d", "b", "year", "country"]
    assert got["rows"] == plain(loaded.rows())
    # Spark's rows hold a date column's values as datetime.date, as Polars' do.
    assert got["types"]["d"] == "date"
    assert got["types"]["year"] == "int"

    want = loaded.filter(
        (pl.col("year") == 2024) & (pl.col("n") > 1110) & (pl.col("country") == "NL")
    )
    assert got["filtered"] == plain(want.select("n", "country").sort("n").rows())
    assert got["filtered"]
    want = loaded.filter(
        (pl.col("year") == 2023) & (pl.col("d") >= datetime.date(2024, 1, 20)) & pl.col("b")
    )
    assert got["date_filtered"] == plain(want.select("n", "d").sort("n").rows())
    assert got["date_filtered"]


def test_sql_source_keeps_null_partition_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "sql")
    rows = sql_rows()
    assert got["count"] == len(rows) == 2000
    assert got["null_count"] == sum(1 for r in rows if r[1] is None) == 200
    want = [list(r) for r in rows if r[1] in (50, 60, 70) and r[2].startswith("r1")]
    assert got["filtered"] == want
    assert want


def test_pushed_filters_reach_plan_and_read_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "pruning")
    frame = numbers(100)
    want = frame.filter(
        (pl.col("n") >= 60)
        & (pl.col("s") == "s1")
        & (pl.col("n") % 2 == 0)
        & (pl.col("d") > datetime.date(2024, 1, 5))
    ).sort("n")
    assert got["rows"] == plain(want.rows())
    # A JVM Spark gives a date literal as a datetime.date (Sail: a day number), so the date
    # comparison is pushed too; Spark adds the IS NOT NULL it infers from the comparisons.
    pushed = {
        "n >= 60",
        "s == 's1'",
        "d > datetime.date(2024, 1, 5)",
        "n is_not_null",
        "s is_not_null",
        "d is_not_null",
    }
    plans = [set(r["plan"]) for r in got["log"] if "plan" in r]
    reads = [r for r in got["log"] if "read" in r]
    assert plans
    assert all(p == pushed for p in plans), plans  # LIKE and n % 2 stay with Spark
    assert sorted(r["read"] for r in reads) == [2, 3]  # partitions 0 and 1 planned away
    assert all(set(r["filters"]) == pushed for r in reads), reads
    assert got["types"]["d"] == "date"


def test_pushdown_conf_off_refuses_a_pushing_reader(jvm: dict[str, Any]) -> None:
    got = case(jvm, "conf_off")
    assert got["refused"] is not None
    assert PUSHDOWN_CONF in got["refused"]
    # push_filters=False: Spark reads every partition and filters itself.
    assert got["not_pushing_count"] == 40
    log = got["not_pushing_log"]
    assert all(r.get("plan", []) == [] and r.get("filters", []) == [] for r in log)
    assert len([r for r in log if "read" in r]) == 4


def test_a_failing_partition_fails_the_query_on_spark(jvm: dict[str, Any]) -> None:
    raised = case(jvm, "broken")["raised"]
    assert raised is not None
    assert re.search(r"partition 1 of 2 failed", raised), raised
    assert "b.parquet" in raised


def test_a_source_lying_about_its_schema_fails_the_query_on_spark(jvm: dict[str, Any]) -> None:
    raised = case(jvm, "liar")["raised"]
    assert raised is not None
    assert re.search(r"partition 1.*column 'n' is int32.*says int64", raised, re.S), raised


def test_by_module_and_class_options_on_spark(jvm: dict[str, Any]) -> None:
    assert case(jvm, "python_options")["ids"] == list(range(50))


def test_file_source_writes_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "write")
    # One file per Spark partition, named in partition order; nothing left staged.
    assert [p.split("-")[:2] for p in got["appended"]] == [
        ["out/part", f"0000{i}"] for i in range(4)
    ]
    assert len(got["overwritten"]) == 2
    assert not [p for p in got["overwritten"] if "_temporary" in p]
    want = pl.DataFrame({"n": range(10), "s": [f"s{n % 5}" for n in range(10)]})
    assert got["read_back"] == [[*r, r[0] % 3] for r in want.rows()]
    out = f"{jvm['base']}/out"
    loaded = load(FileSource, {"uri": f"fs://{out}", "path": "out/"}).sort("n")
    assert loaded.rows() == [tuple(r) for r in got["read_back"]]
    hive = load(FileSource, {"uri": f"fs://{out}", "path": "hive/", "hive_schema": "k:int32"})
    assert sorted(hive["n"].to_list()) == list(range(300))
    assert hive.filter(pl.col("n") % 3 != pl.col("k")).height == 0


def test_a_partition_failing_mid_write_leaves_nothing_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "write_broken")
    assert got["raised"] is not None
    assert "broken on purpose after staging 1 file" in got["raised"]
    # The old files kept, none of the new ones published. Spark calls abort() without
    # waiting for the tasks it cancelled, so one may stage a file after the clean-up: it
    # can only be under the hidden staging directory.
    visible = [p for p in got["after"] if "/_temporary/" not in p]
    assert visible == got["before"]
    assert got["before"]
    assert all(p.startswith("out/_temporary/") for p in set(got["after"]) - set(visible))


def test_commit_gets_every_message_and_abort_runs_on_spark(jvm: dict[str, Any]) -> None:
    got = case(jvm, "ledger")
    calls = [r["call"] for r in got["ledger"]]
    assert calls[:5] == ["write"] * 4 + ["commit"]
    # In partition order: a JVM Spark collects the messages by partition.
    assert got["ledger"][4]["messages"] == [{"rows": 250}] * 4
    assert got["ledger"][4]["mode"] == "append"
    assert got["raised"] is not None
    assert "write() for partition" in got["raised"]
    assert "returned None" in got["raised"]
    assert calls[-1] == "abort"


def test_spark_leaves_no_process_behind(jvm: dict[str, Any]) -> None:
    assert jvm["left_behind"] == []
