"""Live widgets redraw as a recorder's calls come in, throttled: the first call redraws at
once, later ones at most once per ``throttle`` seconds (a call while a redraw is due adds
nothing: that redraw will include it). TraceViewer and PortabilityCheck share this."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from opendal_lab.layers.recorder import RecorderLayer

__all__ = ["ThrottledRedraw"]


class ThrottledRedraw:
    """Calls ``redraw`` for the calls a recorder sees, at most once per ``throttle`` seconds."""

    def __init__(self, redraw: Callable[[], None], throttle: float) -> None:
        self._redraw = redraw
        self.throttle = throttle
        self._lock = threading.Lock()  # guards the timer and the time of the last redraw
        self._drawing = threading.Lock()  # one redraw at a time, so an older one never lands last
        self.timer: threading.Timer | None = None
        self._last = float("-inf")  # time.monotonic() of the last redraw
        self._stop: Callable[[], None] | None = None

    def follow(self, recorder: RecorderLayer) -> None:
        """Redraw as ``recorder`` records calls, until ``close``."""
        self._stop = recorder.listen(self._on_call)

    def now(self) -> None:
        """Redraw now; a redraw that was due is dropped (this one includes its calls)."""
        with self._lock:
            timer, self.timer = self.timer, None
            self._last = time.monotonic()
        if timer is not None:
            timer.cancel()
        with self._drawing:
            self._redraw()

    def _on_call(self, call: Any) -> None:
        with self._lock:
            if self.timer is not None:
                return  # a redraw is already due: it will include this call
            wait = self._last + self.throttle - time.monotonic()
            if wait > 0:
                self.timer = threading.Timer(wait, self.now)
                self.timer.daemon = True
                self.timer.start()
                return
        self.now()

    def close(self) -> None:
        """Stop following the recorder and drop a redraw that is due."""
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()
        with self._lock:
            timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()


class FollowsRecorder:
    """For widgets that redraw as calls come in: ``_redraw`` draws, ``refresh`` draws now,
    ``close`` stops following (set ``_redraws`` in ``__init__``)."""

    _redraws: ThrottledRedraw | None = None  # None until __init__ sets it (or if it failed)

    def _redraw(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        """Send what the recorder holds now to the page."""
        if self._redraws is not None:
            self._redraws.now()

    def close(self) -> None:
        if self._redraws is not None:
            self._redraws.close()
        super().close()  # type: ignore[misc]
