"""README.md is true: its examples run as written, their comments state the actual results,
its capability table is the code's, and its links point at files that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

import opendal_lab as od
from tests import readme_matrix

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FACES = ["operator", "fsspec face", "widgets", "data source loader"]


def _example(face: str) -> str:
    text = README.read_text()
    block = text.split(f"## The {face} in ten lines", 1)[1].split("```python", 1)[1]
    return block.split("```", 1)[0]


def _statements(source: str) -> list[tuple[str, str]]:
    """Each top-level statement with the comment at the end of its last line."""
    lines = source.splitlines()
    out = []
    for node in ast.parse(source).body:
        code = ast.get_source_segment(source, node) or ""
        end = lines[(node.end_lineno or 1) - 1][node.end_col_offset or 0 :]
        out.append((code, end.partition("#")[2].strip()))
    return out


@pytest.mark.parametrize("face", FACES)
def test_example_runs_and_its_comments_are_true(face: str) -> None:
    source = _example(face)
    lines = [line for line in source.splitlines() if line.strip()]
    assert len(lines) <= 12, "ten lines, give or take the imports"
    scope: dict[str, object] = {}
    checked = 0
    for code, comment in _statements(source):
        raises = re.match(r"raises (od\.\w+)", comment)
        if raises:
            with pytest.raises(eval(raises.group(1), {"od": od})):
                exec(code, scope)
            checked += 1
        elif comment and re.match(r"^[\[b'\"(\d]", comment):
            expected = comment.split(" (by", 1)[0] if comment.startswith("'") else comment
            assert repr(eval(code, scope)) == expected, code
            checked += 1
        else:
            exec(code, scope)
    assert checked >= 2


def test_capability_table_is_the_codes() -> None:
    assert readme_matrix.current() == readme_matrix.table(), (
        "README.md's capability table is stale: run `python -m tests.readme_matrix`"
    )


def test_capability_fields_are_the_codes() -> None:
    assert readme_matrix.current_fields() == readme_matrix.fields_table(), (
        "README.md's capability field list is stale: run `python -m tests.readme_matrix`"
    )


def test_service_config_tables_are_the_codes() -> None:
    assert readme_matrix.current_config() == readme_matrix.config_tables(), (
        "README.md's service config tables are stale: run `python -m tests.readme_matrix`"
    )


def test_links_point_at_files_that_exist() -> None:
    text = README.read_text()
    local = re.findall(r"\]\(((?:notebooks|widgets|binder)/[^)#]*)\)", text)
    assert len(local) >= 8
    for link in local:
        assert (ROOT / link).exists(), link


# -- Binder -------------------------------------------------------------------------------
# A Binder URL opens a path of the repository in the app its ``urlpath`` names, or in
# JupyterLab with ``labpath``: lab/tree/<file or folder>, voila/render/<notebook>,
# voila/tree/<folder>, tree/<path>, notebooks/<notebook> (the classic UI).
BINDER_URL = re.compile(r"https://mybinder\.org/v2/gh/[^\s)\]]+")
URLPATH_APPS = re.compile(r"(?:lab/tree|voila/render|voila/tree|tree|notebooks|edit)/(.+)")


def binder_target(url: str) -> tuple[str, str]:
    """``(repository, path in it)`` that a Binder URL opens."""
    parts = urlsplit(url)
    owner, name, _ref = parts.path.removeprefix("/v2/gh/").split("/", 2)
    query = parse_qs(parts.query)
    if "labpath" in query:
        return f"{owner}/{name}", query["labpath"][0]
    (urlpath,) = query.get("urlpath", [""])
    found = URLPATH_APPS.fullmatch(unquote(urlpath).lstrip("/").split("?", 1)[0])
    assert found, f"{url}: urlpath {urlpath!r} opens no repository path"
    return f"{owner}/{name}", found.group(1)


def test_binder_target_reads_urlpath_and_labpath() -> None:
    base = "https://mybinder.org/v2/gh/o/r/HEAD"
    assert binder_target(f"{base}?urlpath=lab/tree/notebooks/a.ipynb") == (
        "o/r",
        "notebooks/a.ipynb",
    )
    assert binder_target(f"{base}?urlpath=voila%2Frender%2Fw%2Fi.ipynb") == ("o/r", "w/i.ipynb")
    assert binder_target(f"{base}?urlpath=voila/tree/widgets") == ("o/r", "widgets")
    assert binder_target(f"{base}?labpath=notebooks%2Fa.ipynb") == ("o/r", "notebooks/a.ipynb")
    with pytest.raises(AssertionError):
        binder_target(f"{base}?urlpath=lab")


def test_every_binder_url_opens_a_file_of_this_repository() -> None:
    text = README.read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    slug = re.search(r'^Repository = "https://github.com/([^"]+)"', pyproject, re.M)
    assert slug, "pyproject.toml has no [project.urls] Repository"
    urls = BINDER_URL.findall(text)
    assert len(urls) >= 2, "the two badges"
    for url in urls:
        repo, path = binder_target(url)
        assert repo == slug.group(1), url
        assert path, url
        assert (ROOT / path).exists(), f"{url} opens {path}, which is not here"


def test_voila_badge_opens_the_gallery_rendered() -> None:
    """The Voila badge opens widgets/index.ipynb rendered (its links then open each app
    rendered: tests/browser/test_console_versions.py follows them)."""
    badge = next(line for line in README.read_text().splitlines() if "Voila" in line[:60])
    (url,) = BINDER_URL.findall(badge)
    assert parse_qs(urlsplit(url).query)["urlpath"] == ["voila/render/widgets/index.ipynb"]
