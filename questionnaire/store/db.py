"""The database handle, created unbound and initialised in ``create_app``."""

from typing import TYPE_CHECKING, Any, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, MetaData, Result

# Named constraints so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Objects keep their values after commit: a verb that has just saved a row can go on
# from what it wrote instead of reading the row back (row_version guards staleness).
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING), session_options={"expire_on_commit": False}
)


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed: execute() is typed as giving a Result,
    and for such a statement it is a CursorResult, which counts them."""
    return cast(CursorResult[Any], result).rowcount


if TYPE_CHECKING:  # mypy cannot take an attribute (db.Model) for a base class
    from flask_sqlalchemy.model import Model as _FlaskModel
    from sqlalchemy.orm import DeclarativeBase

    class Model(_FlaskModel, DeclarativeBase):
        """What db.Model is: a declarative base with Flask-SQLAlchemy's query helpers."""

else:
    Model = db.Model
