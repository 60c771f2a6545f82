"""Production serving helpers for gunicorn (see gunicorn.conf.py)."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# A buyer's secret token is part of their URLs (/a/<token>/...). Access logs are read by
# more people than the database is, so the token is cut out before a line is written.
TOKEN_IN_PATH = re.compile(r"(/a/)[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[token]", text)


class RedactingLogger(Logger):
    """gunicorn's access logger, without buyer tokens."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
