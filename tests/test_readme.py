"""The README's example runs as written, and its comments state the actual results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import opendal_lab as od

README = Path(__file__).resolve().parent.parent / "README.md"


def _example() -> list[str]:
    text = README.read_text()
    block = text.split("## The operator in ten lines", 1)[1].split("```python", 1)[1]
    return block.split("```", 1)[0].strip().splitlines()


def test_readme_example_runs_and_its_comments_are_true() -> None:
    scope: dict[str, object] = {}
    checked = 0
    for line in _example():
        code, _, comment = line.partition("#")
        code, comment = code.strip(), comment.strip()
        raises = re.match(r"raises (od\.\w+)", comment)
        if raises:
            with pytest.raises(eval(raises.group(1), {"od": od})):
                exec(code, scope)
            checked += 1
        elif comment and re.match(r"^[\[b'\"]", comment):
            expected = comment.split(" (", 1)[0]
            assert repr(eval(code, scope)) == expected, line
            checked += 1
        else:
            exec(code, scope)
    assert checked >= 5
