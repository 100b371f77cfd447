"""The provider's commands: ``tawtiq eid identities``, ``tawtiq eid client add``, and ``tawtiq serve eid``'s refusal."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eid.directory import read_clients, read_identities
from tawtiq.cli import app

#: The candidates file's columns (the exam year's; ``tawtiq eid identities`` reads six of them).
COLUMNS = [
    "cnie",
    "massarCode",
    "familyName.ar",
    "familyName.lat",
    "givenName.ar",
    "givenName.lat",
    "birthDate",
    "birthPlace.ar",
    "birthPlace.lat",
    "stream.code",
    "stream.ar",
    "stream.fr",
    "optionLanguage",
    "school.code",
    "school.ar",
    "school.fr",
    "directorate.code",
    "directorate.ar",
    "directorate.fr",
    "academy.code",
    "academy.ar",
    "academy.fr",
    "examCentre.code",
    "examCentre.ar",
    "examCentre.fr",
    "candidateType",
]


def candidate(cnie: str, family: str, given: str, born: str, **cells: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "x")
    row.update(
        {
            "cnie": cnie,
            "familyName.lat": family,
            "givenName.lat": given,
            "familyName.ar": "العلوي",
            "givenName.ar": "أمينة",
            "birthDate": born,
            "candidateType": "enrolled",
        }
    )
    row.update(cells)
    return row


def write_candidates(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_identities_give_every_candidate_a_six_digit_pin_in_a_private_file(tmp_path: Path, delimiter: str) -> None:
    source = write_candidates(
        tmp_path / "candidates.csv",
        [
            candidate("be 123456", "Alaoui", "Amina", "2007-03-14"),
            candidate("JA654321", "Bennani", "Ali", "2006-01-02"),
        ],
        delimiter=delimiter,
    )
    out = tmp_path / "out" / "identities.json"
    result = CliRunner().invoke(app, ["eid", "identities", "--from", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [entry["cnie"] for entry in document] == ["BE123456", "JA654321"]
    assert all(len(entry["pin"]) == 6 and entry["pin"].isdigit() for entry in document)
    assert document[0]["given_name#ar"] == "أمينة"
    assert document[0]["birthdate"] == "2007-03-14"
    people = read_identities(out)  # what the provider reads back
    assert people["BE123456"].family_name == "Alaoui"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (candidate("BE123456", "Alaoui", "Amina", "14/03/2007"), "row 3, birthDate: found not a date"),
        (candidate("9876", "Alaoui", "Amina", "2007-03-14"), "row 3, cnie: found not a CNIE number"),
        (candidate("JA1", "", "Amina", "2007-03-14"), "row 3, familyName.lat: found nothing"),
        (candidate("JA1", "Ala\u202eoui", "Amina", "2007-03-14"), "row 3, familyName.lat: found U+202E"),
        (candidate("be123456", "Alaoui", "Amina", "2007-03-14"), "row 3, cnie: found the same CNIE number as row 2"),
    ],
)
def test_a_bad_candidates_file_is_refused_with_the_row(tmp_path: Path, row: dict[str, str], where: str) -> None:
    source = write_candidates(
        tmp_path / "candidates.csv", [candidate("BE123456", "Alaoui", "Amina", "2007-03-14"), row]
    )
    out = tmp_path / "identities.json"
    result = CliRunner().invoke(app, ["eid", "identities", "--from", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert where in result.output
    assert "nothing was written" in result.output
    assert not out.exists()
    assert "9876" not in result.output  # the card number is not repeated


def test_a_candidates_file_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "candidates.csv"
    source.write_text("cnie,familyName.lat\nBE123456,Alaoui\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eid", "identities", "--from", str(source), "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 1
    assert "row 1, header: found no givenName.lat, familyName.ar, givenName.ar, birthDate" in result.output


def test_client_add_writes_a_fresh_secret_and_refuses_a_second_client_of_the_same_name(tmp_path: Path) -> None:
    out = tmp_path / "clients.json"
    add = ["eid", "client", "add", "--client-id", "portal", "--out", str(out)]
    result = CliRunner().invoke(app, [*add, "--redirect-uri", "http://127.0.0.1:8400/auth/callback"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["client_id"] == "portal"
    assert len(printed["client_secret"]) >= 32
    assert out.stat().st_mode & 0o777 == 0o600
    assert read_clients(out)["portal"].client_secret == printed["client_secret"]
    again = CliRunner().invoke(app, [*add, "--redirect-uri", "http://127.0.0.1:8400/auth/callback"])
    assert again.exit_code == 1
    assert "already has a client 'portal'" in again.output
    issuer = ["eid", "client", "add", "--client-id", "issuer", "--out", str(out)]
    assert CliRunner().invoke(app, [*issuer, "--redirect-uri", "https://issuer.example/cb"]).exit_code == 0
    assert set(read_clients(out)) == {"portal", "issuer"}


def test_client_add_refuses_an_insecure_redirect_uri(tmp_path: Path) -> None:
    out = tmp_path / "clients.json"
    result = CliRunner().invoke(
        app,
        [
            "eid",
            "client",
            "add",
            "--client-id",
            "portal",
            "--redirect-uri",
            "http://portal.example/cb",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "https (http only to 127.0.0.1" in result.output
    assert not out.exists()


def test_serve_eid_refuses_to_start_without_development_mode(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["serve", "eid", "--data-dir", str(tmp_path / "d")], env={"TAWTIQ_EID_DEVELOPMENT": "false"}
    )
    assert result.exit_code == 2
    assert "development stand-in" in result.output
    assert "TAWTIQ_EID_DEVELOPMENT=true or --development" in result.output
    assert not (tmp_path / "d").exists()


def test_serve_eid_says_which_file_it_cannot_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "eid", "--development", "--data-dir", str(tmp_path / "d"), "--identities", str(tmp_path / "none")],
    )
    assert result.exit_code == 2
    assert "eid.identities" in result.output
    assert "none" in result.output
