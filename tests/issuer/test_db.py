"""Migrations: they create exactly the models' schema, run twice harmlessly, and seed secrets and the chain head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from issuer.db import current_revision, head_revision, reading, upgrade
from issuer.models import SECRET_NAMES, metadata


def test_migrations_match_the_models_and_are_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert upgrade(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert differences == []
    with reading(engine) as db:
        names = sorted(row[0] for row in db.execute(text("SELECT name FROM issuer_secret")))
        values = {bytes(row[0]) for row in db.execute(text("SELECT value FROM issuer_secret"))}
        head = db.execute(text("SELECT seq, hash FROM audit_head")).one()
    assert names == sorted(SECRET_NAMES)
    assert len(values) == len(SECRET_NAMES)
    assert all(len(value) == 32 for value in values)
    assert tuple(head) == (0, "0" * 64)
