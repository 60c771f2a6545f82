"""Versions and deletion records: what the change feed (GET /api/v1/changes) reads.

Every insert or change of an assessment row takes the next value of one clock
(``change_clock``) as the row's ``version``, in the same transaction; a deletion takes one
for its tombstone. Taking a value locks the clock's row until commit, so values become
visible in the order they were taken: a reader that has seen version N has seen every
change numbered below N, and a cursor is simply the last version read. The clock is
taken after the row's own UPDATE (mapper events below), so a save holding the row never
waits for the clock while another holds the clock and waits for that row.

A deletion leaves a tombstone (id, version, when; nothing personal) for TOMBSTONE_KEPT.
A cursor also carries ``since``: every assessment deleted before it was already gone
from the reader's copy. Once tombstones from ``since`` on may have been purged, the
cursor is refused (410) and the reader reads the full list again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import DDL, delete, event, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import Assessment, ChangeClock, Tombstone

CLOCK_ID = 1
TOMBSTONE_KEPT = timedelta(days=31)
# A cursor is promised this long: TOMBSTONE_KEPT less SKEW, with a day to spare.
CURSOR_VALID = timedelta(days=30)
# A deletion's time is read before its transaction commits, so one committed just after a
# read may carry a slightly earlier time: cursors claim a little less than they saw.
SKEW = timedelta(hours=1)
MAC_BYTES = 12
MAX_CURSOR = 100
NOT_CHANGES = {"version", "row_version"}  # bookkeeping, not a change to announce

event.listen(
    ChangeClock.__table__,
    "after_create",
    DDL(f"INSERT INTO change_clock (id, version) VALUES ({CLOCK_ID}, 0)"),  # noqa: S608  a constant
)


def take(connection: Connection, count: int = 1) -> int:
    """Reserve ``count`` versions in the caller's transaction; returns the last of them."""
    return connection.execute(
        update(ChangeClock)
        .where(ChangeClock.id == CLOCK_ID)
        .values(version=ChangeClock.version + count)
        .returning(ChangeClock.version)
    ).scalar_one()


def _stamp(connection: Connection, assessment_id: int, version: int) -> None:
    connection.execute(
        update(Assessment).where(Assessment.id == assessment_id).values(version=version)
    )


@event.listens_for(Assessment, "before_insert")
def _lock_original(mapper: Mapper, connection: Connection, target: Assessment) -> None:
    """A buyer's revision changes the original too (its ``revised_by``): lock the original's
    row before the clock, in the same order as any other change to it."""
    if target.revision_of_id is not None:
        connection.execute(
            select(Assessment.id).where(Assessment.id == target.revision_of_id).with_for_update()
        )


@event.listens_for(Assessment, "after_insert")
def _created(mapper: Mapper, connection: Connection, target: Assessment) -> None:
    original = target.revision_of_id
    last = take(connection, 2 if original is not None else 1)
    if original is not None:
        _stamp(connection, original, last - 1)
    _stamp(connection, target.id, last)
    set_committed_value(target, "version", last)


@event.listens_for(Assessment, "after_update")
def _changed(mapper: Mapper, connection: Connection, target: Assessment) -> None:
    state = inspect(target)
    changed = any(
        state.attrs[column.key].history.has_changes()
        for column in mapper.column_attrs
        if column.key not in NOT_CHANGES
    )
    if changed:
        version = take(connection)
        _stamp(connection, target.id, version)
        set_committed_value(target, "version", version)


def linked_to(ids: Iterable[int]) -> set[int]:
    """Assessments that name one of ``ids`` as their original or a revision: deleting those
    changes their ``revision_of`` or ``revised_by``. Read before the deletion."""
    ids = list(ids)
    revisions = select(Assessment.id).where(Assessment.revision_of_id.in_(ids))
    originals = select(Assessment.revision_of_id).where(
        Assessment.id.in_(ids), Assessment.revision_of_id.is_not(None)
    )
    # revision_of_id may be NULL in the table, never in these rows (the WHERE says so)
    found = set(db.session.scalars(revisions)) | set(db.session.scalars(originals))
    return cast(set[int], found) - set(ids)


def record_deletions(ids: Iterable[int], linked: Iterable[int], now: datetime) -> list[dict]:
    """Tombstones for assessments deleted in the caller's transaction, and new versions for
    the ``linked`` ones still there (see linked_to). Call after deleting the rows, so the
    clock is taken last. Returns the tombstones as the feed and webhooks tell of them."""
    ids = sorted(ids)
    if not ids:
        return []
    connection = db.session.connection()
    still_there = sorted(
        set(db.session.scalars(select(Assessment.id).where(Assessment.id.in_(linked))))
    )
    last = take(connection, len(ids) + len(still_there))
    first = last - len(ids) - len(still_there) + 1
    for n, number in enumerate(still_there):
        _stamp(connection, number, first + n)
    first += len(still_there)
    stones = [
        {"id": number, "version": first + n, "deleted_at": now} for n, number in enumerate(ids)
    ]
    db.session.execute(insert(Tombstone), stones)
    return stones


def purge_tombstones(now: datetime) -> int:
    """Delete tombstones older than TOMBSTONE_KEPT; cursors that might need one are refused
    from now on. Returns how many were deleted."""
    cutoff = now - TOMBSTONE_KEPT
    removed = rowcount(db.session.execute(delete(Tombstone).where(Tombstone.deleted_at < cutoff)))
    clock = db.session.get_one(ChangeClock, CLOCK_ID, with_for_update=True)
    if clock.purged_before is None or clock.purged_before < cutoff:
        clock.purged_before = cutoff
    return removed


# --- cursors -----------------------------------------------------------------------------


class CursorInvalid(ValueError):
    """Not a cursor this feed gave out."""


class CursorExpired(Exception):
    """A cursor older than the deletion records kept, or from another database: the reader
    must read the full list again."""


@dataclass(frozen=True)
class Position:
    """Where a reader of the feed stands: every change up to ``version`` read, and every
    assessment deleted before ``since`` already gone from its copy."""

    version: int
    since: datetime

    def cursor(self, key: bytes) -> str:
        """Opaque to readers: base64url of the position and a MAC under ``key``, so a
        cursor cannot be edited into one that skips deletions."""
        text = f"1.{self.version}.{int(self.since.timestamp())}"
        mac = hmac.new(key, text.encode(), hashlib.sha256).digest()[:MAC_BYTES]
        return base64.urlsafe_b64encode(text.encode() + b"." + mac).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str, key: bytes) -> Position:
        """CursorInvalid if it is not a cursor at all; CursorExpired if it was made under
        another key (the app's SECRET_KEY changed): the reader starts again."""
        try:
            if len(cursor) > MAX_CURSOR:
                raise ValueError
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            text, mac = raw[: -MAC_BYTES - 1], raw[-MAC_BYTES:]
            if raw[-MAC_BYTES - 1 : -MAC_BYTES] != b".":
                raise ValueError
            form, version, since = text.decode("ascii").split(".")
            if form != "1" or not (version.isdigit() and since.isdigit()):
                raise ValueError
            position = cls(int(version), datetime.fromtimestamp(int(since), UTC))
        except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError):
            raise CursorInvalid("This is not a cursor that the change feed gave out") from None
        expected = hmac.new(key, text, hashlib.sha256).digest()[:MAC_BYTES]
        if not hmac.compare_digest(mac, expected):
            raise CursorExpired
        return position


@dataclass(frozen=True)
class FeedPage:
    updated: list[dict]  # rows of ``columns``, each with its version
    deleted: list[dict]  # tombstones: id, version, deleted_at
    following: Position
    has_more: bool

    @property
    def items(self) -> list[tuple[str, dict]]:
        """("updated" | "deleted", row), in version order."""
        both = [("updated", r) for r in self.updated] + [("deleted", t) for t in self.deleted]
        return sorted(both, key=lambda item: item[1]["version"])


def read_feed(after: Position | None, limit: int, columns: tuple, now: datetime) -> FeedPage:
    """Changes after ``after`` (None: from the start) in version order, at most ``limit``.

    Reads only up to the clock's value read first: every version up to it is committed,
    so a page never skips a change still being committed. CursorExpired when deletions
    the reader may need are no longer kept."""
    head, purged_before = db.session.execute(
        select(ChangeClock.version, ChangeClock.purged_before).where(ChangeClock.id == CLOCK_ID)
    ).one()
    since = after.since if after is not None else now - SKEW
    start = after.version if after is not None else 0
    if after is not None and (
        start > head or (purged_before is not None and after.since < purged_before)
    ):
        raise CursorExpired
    window = (Assessment.version > start, Assessment.version <= head)
    updated = [
        dict(row)
        for row in db.session.execute(
            select(*columns).where(*window).order_by(Assessment.version).limit(limit + 1)
        ).mappings()
    ]
    deleted = [
        {"id": t.id, "version": t.version, "deleted_at": t.deleted_at}
        for t in db.session.scalars(
            select(Tombstone)
            .where(Tombstone.version > start, Tombstone.version <= head)
            .order_by(Tombstone.version)
            .limit(limit + 1)
        )
    ]
    merged = sorted([r["version"] for r in updated] + [t["version"] for t in deleted])
    has_more = len(merged) > limit
    if has_more:
        last = merged[limit - 1]
        updated = [r for r in updated if r["version"] <= last]
        deleted = [t for t in deleted if t["version"] <= last]
        following = Position(last, since)
    else:
        # Read to the end: the reader's copy now reflects every deletion up to now.
        following = Position(head, max(since, now - SKEW))
    return FeedPage(updated, deleted, following, has_more)
