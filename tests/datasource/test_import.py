"""``import opendal_lab`` leaves the data source face (and polars, pyarrow) unimported."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import opendal_lab
before = set(sys.modules)
import opendal_lab.datasource
print(json.dumps({"after_core": sorted(before), "after_ds": sorted(sys.modules)}))
"""


def test_datasource_loads_on_demand() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    modules = json.loads(out)
    core = set(modules["after_core"])
    for heavy in ("opendal_lab.datasource", "polars", "pyarrow", "tqdm"):
        assert heavy not in core, f"import opendal_lab imported {heavy}"
    loaded = set(modules["after_ds"])
    assert {"opendal_lab.datasource", "polars", "pyarrow"} <= loaded
    assert "tqdm" not in loaded  # only a load that shows progress imports it
    assert "distributed" not in loaded
