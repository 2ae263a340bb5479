"""Secrets in use, and the one way to keep them out of text: messages, logs, spans, reprs.

A service registers each credential it uses (``register_secret``); anything that turns
errors or calls into text (error messages, LoggingLayer, TracingLayer, botocore's own debug
logs through ``guard_loggers``) passes it through ``redact``, which masks them as ``***``.
"""

from __future__ import annotations

import logging
import threading
import weakref

__all__ = ["REDACT_FILTER", "guard_loggers", "redact", "register_secret"]

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every message ``redact`` sees from now on."""
    if value and len(value) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class _RedactFilter(logging.Filter):
    """Rewrites a record whose text holds a secret (botocore logs request headers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            text = record.getMessage()
            clean = redact(text)
            if clean != text:
                record.msg, record.args = clean, None
        return True


REDACT_FILTER = _RedactFilter()
_filtered: weakref.WeakSet[logging.Logger] = weakref.WeakSet()


def guard_loggers(*roots: str) -> None:
    """Put the redacting filter on every logger under ``roots`` (filters do not inherit)."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (
            isinstance(logger, logging.Logger)
            and name.split(".", 1)[0] in roots
            and logger not in _filtered
        ):
            logger.addFilter(REDACT_FILTER)
            _filtered.add(logger)
