"""Structured logging for workers: one JSON object per line, carrying the job id.

The job id is the one the bot put into the job contract, so a single id follows
a request from the Discord interaction to the posted result. Tasks set it with
:func:`job_context`; every record logged inside gets it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator

_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)

# Attributes every LogRecord has; anything else was passed with extra= and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as a single-line JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        job_id = getattr(record, "job_id", None) or _job_id.get()
        if job_id and job_id != "-":
            out["job_id"] = job_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out and key != "job_id":
                out[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class _JobIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "job_id"):
            record.job_id = _job_id.get() or "-"
        return True


def configure_logging(level: str = "INFO", *, json_format: bool = True) -> None:
    """Route all logging to stderr, as JSON lines (or plain text when not ``json_format``)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_format:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(job_id)s] %(message)s")
        )
    handler.addFilter(_JobIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Celery's own "Task ... succeeded: <return value>" line would log whole
    # results (articles, base64 audio); workers.tasks logs a compact line instead.
    logging.getLogger("celery.app.trace").setLevel(max(logging.WARNING, root.level))


@contextlib.contextmanager
def job_context(job_id: str | None) -> Iterator[None]:
    """Tag every log record emitted inside the block with ``job_id``."""
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)
