"""The commit message a source's writer returns, carried through Spark as Spark wants it.

PySpark checks that a writer's ``write`` returns a ``WriterCommitMessage``; ours may
return anything picklable. ``Carried`` wraps it on the worker and is unwrapped on the
driver. It lives in a module of its own, importable wherever the adapter runs, so that
pickle finds the class by name (it imports pyspark, which only the Spark path needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql.datasource import WriterCommitMessage

__all__ = ["Carried", "unwrap"]


@dataclass
class Carried(WriterCommitMessage):
    """One partition's commit message, as our writer returned it."""

    message: Any


def unwrap(messages: list[Any]) -> list[Any]:
    """Our writer's messages; None where Spark has none (a failed partition, or Sail)."""
    return [m.message if isinstance(m, Carried) else None for m in messages]
