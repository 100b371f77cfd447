"""The portal's commands, added to the ``tawtiq`` command by :func:`register`.

* ``tawtiq serve portal [--host 127.0.0.1] [--port 8400] [--workers N] [--forwarded-allow-ips …]`` — run it;
* ``tawtiq portal db-upgrade`` — apply the portal's migrations (start-up does it too);
* ``tawtiq portal staff add --cnie … --role school-reviewer|academy-reviewer|exam-administrator|scholarship-officer
  [--school CODE | --academy CODE | --province CODE]``, ``staff list``, ``staff remove`` (same options) — staff
  roles (a scholarship officer's province is the registry's directorate code);
* ``tawtiq portal purge`` — delete ended sessions, logins that can no longer finish, ended share links and the
  held holder keys no longer needed (:func:`portal.diploma.purge`).

Settings come from ``TAWTIQ_PORTAL_*``; an unusable configuration exits with code 2 and the reason, a refused
input with code 1. CNIE numbers are printed masked. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.commands import add_db_upgrade, database_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from common.service.database import Migrations
    from portal.settings import Settings
    from portal.staff import StaffRole

EXIT_REFUSED = 1
EXIT_ERROR = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
CnieOption = Annotated[str, typer.Option("--cnie", help="The staff member's CNIE number (their eID login).")]
RoleOption = Annotated[
    str,
    typer.Option("--role", help="school-reviewer, academy-reviewer, exam-administrator or scholarship-officer."),
]
SchoolOption = Annotated[str | None, typer.Option("--school", help="The school a school reviewer reviews (code).")]
AcademyOption = Annotated[str | None, typer.Option("--academy", help="The academy an academy reviewer reviews (code).")]
ProvinceOption = Annotated[
    str | None,
    typer.Option("--province", help="The province a scholarship officer decides for (its directorate code)."),
]


def _settings() -> Settings:
    from pydantic import ValidationError

    from portal.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ())) or "settings"
            name = f"TAWTIQ_PORTAL_{where.upper()}" if where != "settings" else "settings"
            typer.echo(f"error: {name}: {error.get('msg')}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


@contextmanager
def _migrated_engine() -> Iterator[Engine]:
    """The portal's database, migrated; a database error ends the command with its class only."""
    from common.service.database import COMMAND_SQLITE_BUSY_SECONDS, create_database_engine

    engine = create_database_engine(_settings().resolved_database_url, sqlite_busy_seconds=COMMAND_SQLITE_BUSY_SECONDS)
    try:
        with database_errors():
            _migrations().upgrade(engine)
            yield engine
    finally:
        engine.dispose()


def _migrations() -> Migrations:
    from portal.db import MIGRATIONS

    return MIGRATIONS


def _role_json(role: StaffRole) -> dict[str, Any]:
    from schemas import mask_identifier

    return {
        "id": role.id,
        "cnie": mask_identifier(role.cnie),
        "role": role.role.value,
        "scope": role.scope,
        "created_at": role.created_at.isoformat(),
    }


def _parsed(
    cnie: str, role: str, school: str | None, academy: str | None, province: str | None
) -> tuple[str, Any, str]:
    """The CNIE, role and scope asked for; a refused input exits 1 with the reason."""
    from portal.staff import Role, StaffInputError, cnie_of, scope_of

    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"error: [staff.role] unknown role {role[:40]!r}; expected one of {', '.join(Role)}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    try:
        return cnie_of(cnie), chosen, scope_of(chosen, school=school, academy=academy, province=province)
    except StaffInputError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the ``portal`` command group to ``app`` and its ``serve`` command to ``serve``."""
    group = typer.Typer(help="Candidate portal operations: database, staff roles, housekeeping.", no_args_is_help=True)
    app.add_typer(group, name="portal")
    staff_group = typer.Typer(
        help="Staff roles: who reviews corrections for which school or academy.", no_args_is_help=True
    )
    group.add_typer(staff_group, name="staff")

    @serve.command("portal")
    def serve_portal(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8400,
        forwarded_allow_ips: Annotated[
            str | None,
            typer.Option(help="Proxies trusted for X-Forwarded-For/-Proto (comma-separated IPs), if any."),
        ] = None,
        workers: Annotated[int, typer.Option(help="Worker processes (they share the database).", min=1)] = 1,
    ) -> None:
        """Run the candidate portal (eID login, personal data, convocation, results, staff pages)."""
        from common.serving import serve as serve_app
        from portal.app import create_app
        from vc import TawtiqError

        settings = _settings()
        typer.echo(f"portal: {settings.public_url} (listening on {host}:{port}, {workers} worker(s))", err=True)
        try:
            serve_app(
                "portal.app:create_app" if workers > 1 else create_app(settings),
                host=host,
                port=port,
                workers=workers,
                forwarded_allow_ips=forwarded_allow_ips,
                log_level=settings.log_level,
            )
        except TawtiqError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(EXIT_ERROR) from None

    add_db_upgrade(
        group, service="portal", migrations=_migrations, database_url=lambda: _settings().resolved_database_url
    )

    @group.command("purge")
    def purge(as_json: JsonOption = False) -> None:
        """Delete ended sessions, logins that can no longer finish, ended share links and unneeded held keys."""
        from common.service.clock import SystemClock
        from portal.diploma import purge as purge_diploma
        from portal.sessions import Sessions

        settings = _settings()
        clock = SystemClock()
        with _migrated_engine() as engine:
            counts = Sessions(
                engine,
                clock=clock,
                key=b"",  # purging compares times only; no identifier is digested
                idle_seconds=settings.session_idle_seconds,
                absolute_seconds=settings.session_absolute_seconds,
                login_seconds=settings.login_seconds,
            ).purge()
            counts |= purge_diploma(engine, now=clock.now())
        typer.echo(json.dumps(counts) if as_json else ", ".join(f"{name}: {n}" for name, n in counts.items()))

    @staff_group.command("add")
    def staff_add(
        cnie: CnieOption,
        role: RoleOption,
        school: SchoolOption = None,
        academy: AcademyOption = None,
        province: ProvinceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Give a staff role to the person with this CNIE (they log in with their eID)."""
        from portal import staff
        from portal.staff import StaffInputError

        number, chosen, scope = _parsed(cnie, role, school, academy, province)
        with _migrated_engine() as engine:
            try:
                added = staff.add(engine, cnie=number, role=chosen, scope=scope, at=datetime.now(UTC))
            except StaffInputError as exc:
                typer.echo(f"error: {exc.diagnostics()}", err=True)
                raise typer.Exit(EXIT_REFUSED) from None
        shown = _role_json(added)
        typer.echo(json.dumps(shown) if as_json else f"{shown['cnie']}: {shown['role']} {shown['scope']}".rstrip())

    @staff_group.command("list")
    def staff_list(as_json: JsonOption = False) -> None:
        """Every staff role (CNIE numbers masked)."""
        from portal import staff

        with _migrated_engine() as engine:
            roles = [_role_json(role) for role in staff.all_roles(engine)]
        if as_json:
            typer.echo(json.dumps({"staff": roles}))
            return
        for role in roles:
            typer.echo(f"{role['id']}\t{role['cnie']}\t{role['role']}\t{role['scope']}")

    @staff_group.command("remove")
    def staff_remove(
        cnie: CnieOption,
        role: RoleOption,
        school: SchoolOption = None,
        academy: AcademyOption = None,
        province: ProvinceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Take a staff role back (effective at the person's next request)."""
        from portal import staff
        from portal.staff import StaffInputError

        number, chosen, scope = _parsed(cnie, role, school, academy, province)
        with _migrated_engine() as engine:
            try:
                staff.remove(engine, cnie=number, role=chosen, scope=scope)
            except StaffInputError as exc:
                typer.echo(f"error: {exc.diagnostics()}", err=True)
                raise typer.Exit(EXIT_REFUSED) from None
        typer.echo(json.dumps({"removed": True}) if as_json else "removed")
