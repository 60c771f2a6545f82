"""Stored copies of question banks, shared by every web process through the database.

Each valid questions.yaml a process loads is stored once (by content hash). A process
that starts while the file is broken (gunicorn replaces workers after ``max_requests``
and after a crash) then serves the newest stored bank instead of refusing new
assessments: every process keeps the last good bank, not only those that saw it.
"""

from __future__ import annotations

import logging

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from questionnaire.core.bank import Bank
from questionnaire.store.models import BankSnapshot, utcnow

log = logging.getLogger(__name__)


def keep(engine: Engine, bank: Bank) -> None:
    """Store ``bank`` if it is not stored yet. Never raises: serving goes on without it.

    Runs on a connection of its own, so it never commits a request's unfinished work.
    """
    try:
        with engine.begin() as connection:
            stored = connection.scalar(
                select(BankSnapshot.sha256).where(BankSnapshot.sha256 == bank.sha256)
            )
            if stored is None:
                connection.execute(
                    insert(BankSnapshot).values(
                        sha256=bank.sha256,
                        version=bank.version,
                        source=bank.source,
                        created_at=utcnow(),
                    )
                )
    except IntegrityError:
        pass  # another process stored the same bank a moment earlier
    except SQLAlchemyError as exc:
        log.warning("could not store question bank version %s: %s", bank.version, exc)


def newest(engine: Engine) -> str | None:
    """The text of the most recently stored bank, or None (none stored, or no database)."""
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(BankSnapshot.source).order_by(BankSnapshot.created_at.desc()).limit(1)
            )
    except SQLAlchemyError as exc:
        log.warning("could not read the stored question banks: %s", exc)
        return None


def clash(engine: Engine, bank: Bank) -> str | None:
    """The hash of a stored bank with ``bank``'s version but other content, or None (also
    when the database cannot be read: the file is then judged on its own)."""
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(BankSnapshot.sha256)
                .where(BankSnapshot.version == bank.version, BankSnapshot.sha256 != bank.sha256)
                .limit(1)
            )
    except SQLAlchemyError as exc:
        log.warning("could not read the stored question banks: %s", exc)
        return None
