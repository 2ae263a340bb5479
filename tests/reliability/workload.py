"""A seeded random workload checked step by step against a dict model, for the chaos tests.

``Workload(op, seed)`` draws each step from its own ``random.Random(seed)``: writes (one-shot
and streamed through ``op.open``), whole, ranged and suffix reads, stats, reads and stats of
missing keys, plain and recursive listings, deletes, batch deletes, copies, renames (where
the operator can), directory creation. Every step checks what the operator returned against
the model (reads, stats, listings) and updates the model only once the call succeeded, so a
step that raised leaves the model as it was: what a failed call must leave in the store.

``verify(raw, backend)`` then compares the whole store, seen without the layers under test,
with the model: the recursive listing, every object's bytes, the directories, and around the
operator (files on disk for fs, keys and open multipart uploads through botocore for s3).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from opendal_lab import Entry, Error, NotFound, Operator

from .backends import Backend

#: Directories of the keyspace ("" is the root); names never clash with a directory name.
DIRS = ("", "a/", "b/c/", "b/d/")
NAMES = (*(str(i) for i in range(9)), "ü x!@#$%^&()_+-=;',.txt")
KEYS = tuple(d + n for d in DIRS for n in NAMES)
#: Directories create_dir may make; "e/" never holds a file.
NEW_DIRS = ("a/", "b/", "b/c/", "e/")

#: Relative weight of each action in the plan.
WEIGHTS = {
    "write": 20,
    "stream": 8,
    "read": 16,
    "range": 10,
    "suffix": 3,
    "stat": 8,
    "missing": 3,
    "list_dir": 4,
    "list_all": 2,
    "delete": 8,
    "delete_many": 3,
    "copy": 5,
    "rename": 5,
    "create_dir": 2,
}


def parents(path: str) -> set[str]:
    """Every directory above ``path`` (``b/c/5`` -> ``b/``, ``b/c/``), root excluded."""
    parts = path.rstrip("/").split("/")[:-1]
    return {"/".join(parts[: i + 1]) + "/" for i in range(len(parts))}


def parent(path: str) -> str:
    """The directory ``path`` sits in, ``""`` for the root."""
    head, _, _ = path.rstrip("/").rpartition("/")
    return head + "/" if head else ""


@dataclass
class Step:
    """One planned call: what it is, the path an error must name, and its arguments."""

    action: str
    operation: str  # the opendal operation an error from it names
    path: str | None  # the path an error from it names (None: a whole batch)
    key: str = ""
    target: str = ""
    data: bytes = b""
    chunks: list[bytes] = field(default_factory=list)
    offset: int = 0
    size: int = 0
    batch: list[str] = field(default_factory=list)


@dataclass
class Model:
    """What the store must hold."""

    files: dict[str, bytes] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)  # create_dir succeeded
    ever: set[str] = field(default_factory=set)  # every directory that may ever have existed

    def put(self, key: str, data: bytes) -> None:
        self.files[key] = data
        self.ever |= parents(key)

    def dirs_now(self) -> set[str]:
        """Directories that must exist: parents of the files, created ones and theirs."""
        now = set(self.created)
        for path in (*self.files, *self.created):
            now |= parents(path)
        return now


class Workload:
    """Plans and runs seeded steps against ``op``, checking each against the model."""

    def __init__(self, op: Operator, seed: int, *, raw: Operator | None = None) -> None:
        self.op = op
        self.raw = raw  # the store without the layers under test, to settle partial batches
        self.rng = random.Random(seed)
        self.model = Model()
        self.done: Counter[str] = Counter()  # steps that succeeded, per action
        cap = op.capability()
        actions = [a for a in WEIGHTS if a != "rename" or cap.rename]
        self._actions = actions
        self._weights = [WEIGHTS[a] for a in actions]

    # -- planning --------------------------------------------------------------------
    def _existing(self) -> str | None:
        return self.rng.choice(sorted(self.model.files)) if self.model.files else None

    def _any_key(self) -> str:
        existing = self._existing()
        if existing is not None and self.rng.random() < 0.6:
            return existing
        return self.rng.choice(KEYS)

    def plan(self) -> Step:
        """The next step; actions that need an object fall back to a write when none exists."""
        rng = self.rng
        action = rng.choices(self._actions, self._weights)[0]
        key = self._existing()
        if key is None and action in ("read", "range", "suffix", "stat", "copy", "rename"):
            action = "write"
        if action == "write":
            key = self._any_key()
            return Step(action, "write", key, key, data=rng.randbytes(rng.randrange(0, 1500)))
        if action == "stream":
            key = self._any_key()
            data = rng.randbytes(rng.randrange(1, 3000))
            chunks, start = [], 0
            while start < len(data):
                end = start + rng.randrange(1, 700)
                chunks.append(data[start:end])
                start = end
            return Step(action, "write", key, key, data=data, chunks=chunks)
        if action == "missing":
            missing = sorted(set(KEYS) - set(self.model.files))
            key = rng.choice(missing)
            return Step(action, rng.choice(["read", "stat"]), key, key)
        if action in ("list_dir", "list_all"):
            d = rng.choice(DIRS) if action == "list_dir" else ""
            return Step(action, "list", d or "/", d)
        if action == "delete":
            key = self._any_key()
            return Step(action, "delete", key, key)
        if action == "delete_many":
            batch = rng.sample(sorted(self.model.files), min(4, len(self.model.files)))
            batch.append(rng.choice(KEYS))  # perhaps missing: deleting that is fine
            return Step(action, "delete", None, batch=sorted(set(batch)))
        if action == "create_dir":
            d = rng.choice(NEW_DIRS)
            return Step(action, "create_dir", d, d)
        assert key is not None
        data = self.model.files[key]
        if action in ("copy", "rename"):
            target = rng.choice([k for k in KEYS if k != key])
            return Step(action, action, key, key, target=target)
        if action == "range" and data:
            offset = rng.randrange(len(data))
            size = rng.randrange(1, len(data) - offset + 1)
            return Step(action, "read", key, key, offset=offset, size=size)
        if action == "suffix" and data:
            return Step(action, "read", key, key, size=rng.randrange(1, len(data) + 20))
        if action == "stat":
            return Step(action, "stat", key, key)
        return Step("read", "read", key, key)

    # -- running ---------------------------------------------------------------------
    def run(self, step: Step) -> None:
        """Run ``step`` on the operator, check what it returned, then update the model."""
        getattr(self, f"_{step.action}")(step)
        self.done[step.action] += 1

    def _write(self, step: Step) -> None:
        meta = self.op.write(step.key, step.data)
        assert meta.content_length in (None, len(step.data))
        self.model.put(step.key, step.data)

    def _stream(self, step: Step) -> None:
        # A small buffer, so the writer below gets several write() calls.
        with self.op.open(step.key, "wb", buffer_size=256) as f:
            for chunk in step.chunks:
                f.write(chunk)
        self.model.put(step.key, step.data)

    def _read(self, step: Step) -> None:
        assert self.op.read(step.key) == self.model.files[step.key], f"read {step.key!r}"

    def _range(self, step: Step) -> None:
        got = self.op.read(step.key, offset=step.offset, size=step.size)
        want = self.model.files[step.key][step.offset : step.offset + step.size]
        assert got == want, f"read {step.key!r} offset={step.offset} size={step.size}"

    def _suffix(self, step: Step) -> None:
        got = self.op.read(step.key, suffix=step.size)
        assert got == self.model.files[step.key][-step.size :], f"read {step.key!r} suffix"

    def _stat(self, step: Step) -> None:
        meta = self.op.stat(step.key)
        assert meta.is_file
        assert meta.content_length == len(self.model.files[step.key]), f"stat {step.key!r}"

    def _missing(self, step: Step) -> None:
        call: Callable[[str], object] = self.op.read if step.operation == "read" else self.op.stat
        with pytest.raises(NotFound) as caught:
            call(step.key)
        assert caught.value.path == step.key

    def _list_dir(self, step: Step) -> None:
        entries = self._listing(step, recursive=False)
        want = {k for k in self.model.files if parent(k) == step.key}
        self._check_files(entries, want, step)

    def _list_all(self, step: Step) -> None:
        entries = self._listing(step, recursive=True)
        self._check_files(entries, set(self.model.files), step)

    def _listing(self, step: Step, recursive: bool) -> list[Entry]:
        entries: list[Entry] = []
        try:
            for entry in self.op.list(step.key or "/", recursive=recursive):
                entries.append(entry)
        except Error:
            # A listing cut short yielded only real entries, each once.
            paths = [e.path for e in entries]
            assert len(paths) == len(set(paths)), f"a listing yielded twice: {paths}"
            for e in entries:
                if e.is_file:
                    assert self.model.files.get(e.path) is not None, e.path
            raise
        return entries

    def _check_files(self, entries: list[Entry], want: set[str], step: Step) -> None:
        paths = [e.path for e in entries]
        assert len(paths) == len(set(paths)), f"list {step.path!r} yielded an entry twice"
        files = {e.path: e for e in entries if e.is_file}
        assert set(files) == want, f"list {step.path!r}"
        for path, entry in files.items():
            length = entry.metadata.content_length
            assert length in (None, len(self.model.files[path])), f"listed length of {path!r}"
        allowed = self.model.ever | self.model.created | {"/", step.key}
        assert {e.path for e in entries if e.is_dir} <= allowed, f"list {step.path!r}"

    def _delete(self, step: Step) -> None:
        self.op.delete(step.key)
        self.model.files.pop(step.key, None)

    def _delete_many(self, step: Step) -> None:
        try:
            self.op.delete_many(step.batch)
        except Error:
            # Items of a batch fail one by one: each is gone or as it was, never anything else.
            assert self.raw is not None
            for key in step.batch:
                if key in self.model.files and self.raw.exists(key):
                    assert self.raw.read(key) == self.model.files[key]
                else:
                    self.model.files.pop(key, None)
            raise
        for key in step.batch:
            self.model.files.pop(key, None)

    def _copy(self, step: Step) -> None:
        self.op.copy(step.key, step.target)
        self.model.put(step.target, self.model.files[step.key])

    def _rename(self, step: Step) -> None:
        self.op.rename(step.key, step.target)
        self.model.put(step.target, self.model.files.pop(step.key))

    def _create_dir(self, step: Step) -> None:
        self.op.create_dir(step.key)
        self.model.created.add(step.key)
        self.model.ever |= {step.key} | parents(step.key)


def verify(raw: Operator, backend: Backend, model: Model) -> None:
    """The store, seen through ``raw`` (no layer under test) and around it, is the model."""
    entries = list(raw.list("/", recursive=True))
    paths = [e.path for e in entries]
    assert len(paths) == len(set(paths))
    files = {e.path for e in entries if e.is_file}
    assert files == set(model.files), "extra or missing objects"
    for key, data in model.files.items():
        assert raw.read(key) == data, f"{key!r} is not as written"
    dirs = {e.path for e in entries if e.is_dir} - {"/"}
    if backend.scheme == "fs":
        # A directory on disk outlives its last file; it must still be one the run made.
        assert model.dirs_now() <= dirs <= model.ever
        # Around the operator: nothing on disk but the objects (no temporary file left).
        assert backend.files_on_disk() == model.files
    else:
        # Object stores list only the directory objects create_dir made, not implied ones.
        assert dirs == model.created
    if backend.scheme == "s3":
        out = backend.client.list_objects_v2(Bucket=backend.bucket)
        keys = {o["Key"] for o in out.get("Contents", [])}
        assert keys == set(model.files) | model.created
        assert backend.leftovers() == []
