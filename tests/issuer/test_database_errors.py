"""A database that fails in the middle of a command: stderr names the error's class, never a graduate's data.

A driver's message quotes the failing row (PostgreSQL's ``Failing row contains (…)``) and SQLAlchemy's quotes
the statement's parameters unless told not to; neither may reach the operator's terminal, a log or a CI job.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import StatementError
from typer.testing import CliRunner

from common.service.database import database_error_summary
from issuer.db import create_database_engine, reading, writing
from tawtiq.cli import app
from tests.issuer.conftest import cohort_rows, environment, write_rows
from verifier.db import Database

#: Rows staged per batch in these tests, so that the fifth batch starts at row 10.
_BATCH = 2


def _fail_the_fifth_batch(engine: Engine) -> None:
    """Make the database refuse the staging of row 10 (the fifth batch) as a real constraint would."""
    with writing(engine) as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("ALTER TABLE import_row ADD CONSTRAINT fifth_batch CHECK (row_number < 10)"))
        else:
            db.execute(
                text(
                    "CREATE TRIGGER fifth_batch BEFORE INSERT ON import_row WHEN NEW.row_number >= 10 "
                    "BEGIN SELECT RAISE(ABORT, 'fifth batch refused'); END"
                )
            )


def _count(engine: Engine, name: str) -> int:
    with reading(engine) as db:
        return int(db.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one())  # noqa: S608 - test constant


def test_a_database_failing_mid_import_prints_no_personal_data_and_keeps_nothing(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("issuer.cohort._STAGE_BATCH", _BATCH)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = create_database_engine(database_url)
    _fail_the_fifth_batch(engine)
    rows = cohort_rows(12, seed=21)
    path = write_rows(tmp_path / "cohort.csv", rows)

    result = runner.invoke(app, ["cohort", "import", str(path), "--session", "2024-normale"])

    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert "the database failed" in result.stderr
    assert "IntegrityError" in result.stderr or "DatabaseError" in result.stderr
    assert "nothing of it was kept" in result.stderr
    output = result.stdout + result.stderr
    for row in rows:
        for column in ("cnie", "massarCode", "birthDate", "familyName.lat", "givenName.lat", "familyName.ar"):
            assert row[column] not in output, column
    assert "Failing row" not in output
    assert _count(engine, "graduate") == _count(engine, "import_row") == _count(engine, "cohort_import") == 0
    engine.dispose()


def test_every_engine_hides_the_parameters_of_a_failed_statement(database_url: str) -> None:
    engine = create_database_engine(database_url)
    assert engine.hide_parameters
    assert Database(database_url).engine.hide_parameters, "the verifier's engine too"
    insert = text("INSERT INTO probe (cnie) VALUES (:cnie)")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (cnie VARCHAR(8) NOT NULL UNIQUE)"))
        connection.execute(insert, {"cnie": "BE123456"})
    with pytest.raises(StatementError) as failed, engine.begin() as connection:
        connection.execute(insert, {"cnie": "BE123456"})
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(failed.value)
    assert "BE123456" not in database_error_summary(failed.value)
    engine.dispose()
