"""``tawtiq serve issuer``: run the issuer service (:func:`common.serving.serve`), optionally with TLS and workers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from issuer.commands.shell import (
    EXIT_ERROR,
    current_settings,
    err,
    fail,
    handled_errors,
)


def serve_issuer(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate (serve https).")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert.")] = None,
    self_signed: Annotated[
        bool,
        typer.Option("--self-signed", help="Development only: serve https with a self-signed loopback certificate."),
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (they share the database).", min=1)] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Fronts trusted for X-Forwarded-For/-Proto (comma-separated IPs), if any."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Run the issuer service (migrations are applied first unless TAWTIQ_AUTO_MIGRATE=false)."""
    from common.serving import serve
    from issuer.app import create_app
    from issuer.db import create_database_engine, upgrade
    from issuer.devtls import ensure_self_signed
    from issuer.logs import configure_logging
    from vc.urls import is_loopback_host

    configure_logging(log_level.upper())
    with handled_errors():
        settings = current_settings()
        engine = create_database_engine(settings.resolved_database_url)
        if settings.auto_migrate:
            revision = upgrade(engine)
            err(f"database at revision {revision}")
        if self_signed:
            if not is_loopback_host(host) or not settings.issuer_url.startswith("https://"):
                fail("error: --self-signed is for an https issuer URL on a loopback host only", EXIT_ERROR)
            tls_cert, tls_key = ensure_self_signed(settings.data_dir / "tls")
            err(f"development certificate: {tls_cert} (clients: SSL_CERT_FILE={tls_cert})")
        if (tls_cert is None) != (tls_key is None):
            fail("error: give both --tls-cert and --tls-key", EXIT_ERROR)
        if workers > 1:
            err(f"issuer {settings.issuer_url} on {host}:{port}, {workers} workers")
            serve(
                "issuer.app:app_from_environment",
                host=host,
                port=port,
                workers=workers,
                tls_cert=tls_cert,
                tls_key=tls_key,
                forwarded_allow_ips=forwarded_allow_ips,
                log_level=log_level.upper(),
            )
            return
        app = create_app(settings, engine=engine, background_purge=True)
    err(f"issuer {settings.issuer_url} listening on {'https' if tls_cert else 'http'}://{host}:{port}")
    with handled_errors():
        serve(
            app,
            host=host,
            port=port,
            tls_cert=tls_cert,
            tls_key=tls_key,
            forwarded_allow_ips=forwarded_allow_ips,
            log_level=log_level.upper(),
        )
