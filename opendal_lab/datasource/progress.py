"""The progress bar of a load: ``tqdm.auto`` (a widget in Jupyter, text on a terminal).

``progress=None`` (the default) shows one only when someone is watching -- an IPython or
Jupyter session, or stderr on a terminal -- and the load has at least ``MIN_PARTITIONS``
partitions; and even then only after ``AUTO_DELAY`` seconds, so quick loads print nothing.
``True`` shows it at once, wherever stderr goes; ``False`` never. The bar counts
finished partitions, in the order they finish.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["AUTO_DELAY", "MIN_PARTITIONS", "interactive", "progress_bar"]

MIN_PARTITIONS = 8
AUTO_DELAY = 1.0


def interactive() -> bool:
    """Whether a person is likely watching: an IPython/Jupyter session or a terminal."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if callable(get_ipython) and get_ipython() is not None:
        return True
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def progress_bar(progress: bool | None, total: int, desc: str) -> Any | None:
    """A started ``tqdm`` bar of ``total`` partitions, or None when none is wanted."""
    if progress is False or total == 0:
        return None
    if progress is None and (total < MIN_PARTITIONS or not interactive()):
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError:
        if progress:
            raise ImportError(
                "progress=True needs tqdm: pip install 'opendal-lab[datasource]'"
            ) from None
        return None
    delay = AUTO_DELAY if progress is None else 0.0
    return tqdm(total=total, desc=desc, unit="partition", delay=delay, leave=True)
