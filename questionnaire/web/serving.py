"""Production serving helpers for gunicorn (see gunicorn.conf.py)."""

from __future__ import annotations

import ipaddress
import logging
import re

from gunicorn.glogging import Logger

# A buyer's secret token is part of their URLs (/a/<token>/...), and so is a read-only
# link's (/v/<token>). Access logs are read by more people than the database is, so the
# token is cut out before a line is written.
TOKEN_IN_PATH = re.compile(r"(/[av]/)[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[token]", text)


class Redact(logging.Filter):
    """Cuts buyer tokens out of a log record: its message and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_IN_PATH.search(message):
            record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RedactingLogger(Logger):
    """gunicorn's logger, without buyer tokens: in the access log, in gunicorn's own error
    log ("Error handling request /a/<token>/...") and in the app's log lines, which share
    its handlers (Flask logs "Exception on /a/<token>/..." with a 500)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        handlers = {*self.error_log.handlers, *self.access_log.handlers}
        handlers.update(logging.getLogger().handlers)
        for handler in handlers:
            handler.addFilter(Redact())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


PROXY_WARNING = (
    "WARNING: serving on {address} with TRUSTED_PROXY_HOPS=0. In production put a "
    "buffering reverse proxy (nginx, a load balancer) in front and set TRUSTED_PROXY_HOPS: "
    "each gunicorn worker serves one connection at a time, so a few clients that send "
    "slowly hold every worker (docs/deploy.md)."
)


def is_loopback(address: str) -> bool:
    """Whether a gunicorn bind address ("host:port", "[::1]:port", "unix:path") can only be
    reached from this machine."""
    if address.startswith(("unix:", "fd://")):
        return True
    host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may be reached from anywhere


def proxy_warning(binds: list[str], proxy_hops: int) -> str | None:
    """What `make serve` warns about: reachable from other machines, and no proxy in front."""
    exposed = [address for address in binds if not is_loopback(address)]
    if not exposed or proxy_hops > 0:
        return None
    return PROXY_WARNING.format(address=", ".join(exposed))
