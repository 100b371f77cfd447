"""``tawtiq verifier ca …`` and ``tawtiq verifier cert …``: a registrar's development CA and the certificates it
issues (:mod:`keys.x509`).

* ``tawtiq verifier ca create --out DIR --name "Registre des vérificateurs (développement)" [--days N] [--json]`` —
  a new CA: ``DIR/ca.pem`` (give it to wallets as a trust anchor) and ``DIR/ca-key.pem`` (encrypted with
  ``TAWTIQ_CA_PASSPHRASE`` or the file named by ``TAWTIQ_CA_PASSPHRASE_FILE``);
* ``tawtiq verifier cert issue --ca DIR --name "Université Mohammed V" --dns verify.um5.ac.ma --out DIR
  [--usage verifier-access|document-signing] [--days N] [--json]`` — a new P-256 key and its certificate:
  ``DIR/chain.pem`` and ``DIR/key.pem`` (encrypted with ``TAWTIQ_VERIFIER_KEY_PASSPHRASE`` or the file named by
  ``TAWTIQ_VERIFIER_KEY_PASSPHRASE_FILE``: the verifier reads it with the same variables);
* ``tawtiq verifier cert show DIR_OR_PEM [--json]`` — what a certificate says: subject, DNS names, issuer, dates,
  usage and its ``x509_hash``.

A production registrar runs its own CA and signs the university's certificate request; these commands are its
development stand-in, and the format of their output is the one the verifier reads in production.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cryptography import x509

EXIT_REFUSED = 1
EXIT_ERROR = 2
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
CA_PASSPHRASE: tuple[str, str] = ("TAWTIQ_CA_PASSPHRASE", "TAWTIQ_CA_PASSPHRASE_FILE")
KEY_PASSPHRASE: tuple[str, str] = ("TAWTIQ_VERIFIER_KEY_PASSPHRASE", "TAWTIQ_VERIFIER_KEY_PASSPHRASE_FILE")


def _passphrase(variables: tuple[str, str]) -> bytes:
    from keys import load_passphrase
    from vc import TawtiqError

    try:
        return load_passphrase(os.environ, variable=variables[0], file_variable=variables[1])
    except TawtiqError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def _describe(certificate: x509.Certificate) -> dict[str, Any]:
    from cryptography import x509

    from keys.x509 import certificate_hash, dns_names, organization_of

    try:
        usages = [u.dotted_string for u in certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        usages = []
    return {
        "subject": organization_of(certificate),
        "dns_names": list(dns_names(certificate)),
        "issuer": organization_of(certificate, of="issuer"),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "extended_key_usage": usages,
        "x509_hash": certificate_hash(certificate),
    }


def _print(description: dict[str, Any], *, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        typer.echo(json.dumps({**description, **(extra or {})}, ensure_ascii=False))
        return
    for name, value in {**description, **(extra or {})}.items():
        typer.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")


def register(group: typer.Typer) -> None:
    """Add the ``ca`` and ``cert`` command groups to ``group`` (``tawtiq verifier``)."""
    ca = typer.Typer(help="A registrar's development certificate authority.", no_args_is_help=True)
    cert = typer.Typer(
        help="Certificates for verifiers (access certificates) and document signers.", no_args_is_help=True
    )
    group.add_typer(ca, name="ca")
    group.add_typer(cert, name="cert")

    @ca.command("create")
    def ca_create(
        out: Annotated[Path, typer.Option("--out", help="New directory for ca.pem and the encrypted ca-key.pem.")],
        name: Annotated[
            str, typer.Option("--name", help="The registrar's name, shown by wallets ('certified by …').")
        ] = "Tawtiq development registrar",
        days: Annotated[int, typer.Option("--days", min=1, max=36500, help="Validity in days.")] = 3650,
        as_json: JsonOption = False,
    ) -> None:
        """Create a development CA. Its key is encrypted with TAWTIQ_CA_PASSPHRASE (or _FILE)."""
        from datetime import UTC, datetime, timedelta

        from keys.x509 import CA_CERTIFICATE_FILE, CertificateAuthority
        from vc import TawtiqError

        if (out / CA_CERTIFICATE_FILE).exists():
            typer.echo(f"error: {out / CA_CERTIFICATE_FILE} exists; a CA is never overwritten", err=True)
            raise typer.Exit(EXIT_REFUSED)
        passphrase = _passphrase(CA_PASSPHRASE)
        try:
            authority = CertificateAuthority.create(name=name, now=datetime.now(UTC), validity=timedelta(days=days))
            authority.save(out, passphrase=passphrase)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        except TawtiqError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        typer.echo(f"CA created in {out}; give {out / CA_CERTIFICATE_FILE} to wallets that should trust it", err=True)
        _print(_describe(authority.certificate), as_json=as_json, extra={"certificate": str(out / CA_CERTIFICATE_FILE)})

    @cert.command("issue")
    def cert_issue(
        ca_dir: Annotated[Path, typer.Option("--ca", help="The CA directory (`ca create --out`).")],
        out: Annotated[Path, typer.Option("--out", help="New directory for chain.pem and the encrypted key.pem.")],
        name: Annotated[
            str, typer.Option("--name", help="The organisation wallets show, e.g. 'Université Mohammed V'.")
        ],
        dns: Annotated[
            list[str] | None,
            typer.Option("--dns", help="A host name the verifier answers on (repeatable); required for verifiers."),
        ] = None,
        usage: Annotated[
            str, typer.Option("--usage", help="verifier-access (default) or document-signing.")
        ] = "verifier-access",
        days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Validity in days.")] = 365,
        as_json: JsonOption = False,
    ) -> None:
        """Issue a certificate and its new key (encrypted with TAWTIQ_VERIFIER_KEY_PASSPHRASE or _FILE)."""
        from datetime import UTC, datetime, timedelta

        from keys.x509 import CHAIN_FILE, PROFILES, VERIFIER_ACCESS, CertificateAuthority
        from vc import TawtiqError

        profile = PROFILES.get(usage)
        if profile is None:
            typer.echo(f"error: unknown --usage {usage!r}; expected one of {', '.join(PROFILES)}", err=True)
            raise typer.Exit(EXIT_REFUSED)
        if profile is VERIFIER_ACCESS and not dns:
            typer.echo("error: a verifier's access certificate names its host: give --dns HOST", err=True)
            raise typer.Exit(EXIT_REFUSED)
        if (out / CHAIN_FILE).exists():
            typer.echo(f"error: {out / CHAIN_FILE} exists; a certificate is never overwritten", err=True)
            raise typer.Exit(EXIT_REFUSED)
        ca_passphrase = _passphrase(CA_PASSPHRASE)
        key_passphrase = _passphrase(KEY_PASSPHRASE)
        try:
            authority = CertificateAuthority.load(ca_dir, passphrase=ca_passphrase)
            certified = authority.issue(
                organization=name,
                profile=profile,
                now=datetime.now(UTC),
                dns_names=dns or (),
                validity=timedelta(days=days),
            )
            certified.save(out, passphrase=key_passphrase)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        except TawtiqError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        typer.echo(f"certificate for {name} issued by {authority.name} in {out}", err=True)
        _print(_describe(certified.certificate), as_json=as_json, extra={"chain": str(out / CHAIN_FILE)})

    @cert.command("show")
    def cert_show(
        path: Annotated[Path, typer.Argument(help="A certificate directory, or a PEM file (its first certificate).")],
        as_json: JsonOption = False,
    ) -> None:
        """Show what a certificate says, with its x509_hash client identifier value."""
        from keys.x509 import CHAIN_FILE, load_pem_certificates
        from vc import TawtiqError

        file = path / CHAIN_FILE if path.is_dir() else path
        try:
            certificates = load_pem_certificates(file.read_bytes(), source=str(file))
        except OSError as exc:
            typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        except TawtiqError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        if not certificates:
            typer.echo(f"error: {file} holds no certificate", err=True)
            raise typer.Exit(EXIT_REFUSED)
        _print(_describe(certificates[0]), as_json=as_json)
