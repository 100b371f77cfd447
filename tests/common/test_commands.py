"""The commands every service shares: ``db-upgrade`` migrates and prints the revision; a database error exits 2
with its class only."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import inspect
from typer.testing import CliRunner

from common.commands import EXIT_ERROR, add_db_upgrade, database_errors
from common.service.database import Migrations, create_database_engine
from portal.db import MIGRATIONS, VERSION_TABLE


def _group(url: str) -> typer.Typer:
    group = typer.Typer()
    add_db_upgrade(group, service="portal", migrations=lambda: MIGRATIONS, database_url=lambda: url)

    @group.command("other")
    def other() -> None:  # a second command, so that typer keeps the group's command names
        """Nothing."""

    return group


def test_db_upgrade_migrates_and_prints_the_revision(database_url: str) -> None:
    text = CliRunner().invoke(_group(database_url), ["db-upgrade"])
    assert text.exit_code == 0, text.output
    assert text.stdout.strip() == f"portal database at revision {MIGRATIONS.head()}"
    again = CliRunner().invoke(_group(database_url), ["db-upgrade", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {"revision": MIGRATIONS.head()}
    engine = create_database_engine(database_url)
    try:
        assert VERSION_TABLE in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_database_that_fails_exits_2_with_the_error_class_only() -> None:
    url = "postgresql://someone:hunter2@127.0.0.1:9/absent"  # the discard port: nothing listens
    result = CliRunner().invoke(_group(url), ["db-upgrade"])
    assert result.exit_code == EXIT_ERROR
    assert "error: the database failed: OperationalError" in result.stderr
    assert "hunter2" not in result.output
    assert result.stdout == ""


def test_database_errors_lets_other_errors_through() -> None:
    with pytest.raises(KeyError), database_errors():
        raise KeyError("not a database error")


def test_the_migrations_are_read_when_the_command_runs() -> None:
    asked: list[str] = []

    def migrations() -> Migrations:
        asked.append("migrations")
        return MIGRATIONS

    add_db_upgrade(typer.Typer(), service="portal", migrations=migrations, database_url=lambda: "sqlite://")
    assert asked == []
