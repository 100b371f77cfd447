"""The W3C VC-JOSE-COSE test suite's cases, run through `tawtiq conformance` exactly as its runner calls it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tawtiq.cli import app
from tests.conftest import CONFORMANCE, load_conformance

SUITE = CONFORMANCE / "vc-jose-cose"
CASES = load_conformance("vc-jose-cose/cases.json")
JOSE_AND_SD_JWT = [case for case in CASES if case["suite"] in ("JOSE Tests", "SD-JWT Tests")]
COSE = [case for case in CASES if case["suite"] == "COSE Tests"]
ALL = JOSE_AND_SD_JWT + COSE
runner = CliRunner()


def call(arguments: list[str]) -> tuple[int, dict[str, Any]]:
    output = Path(arguments[arguments.index("--output") + 1])
    result = runner.invoke(app, ["conformance", *arguments])
    return result.exit_code, json.loads(output.read_text(encoding="utf-8"))


def arguments_for(case: dict[str, Any], output: Path) -> list[str]:
    arguments = [
        case["fn"],
        "--input",
        str(SUITE / "input" / case["input_file"]),
        "--key",
        str(SUITE / "input" / case["key_file"]),
        "--feature",
        case["feature"],
        "--output",
        str(output),
    ]
    if "disclosure_paths" in case:
        arguments += ["--sd", json.dumps(case["disclosure_paths"])]
    return arguments


def test_the_suite_has_26_jose_and_sd_jwt_cases_and_9_cose_cases() -> None:
    assert [case["number"] for case in JOSE_AND_SD_JWT] == list(range(1, 27))
    assert [case["number"] for case in COSE] == list(range(27, 36))


@pytest.mark.parametrize("case", ALL, ids=[case["name"] for case in ALL])
def test_case_gives_the_expected_result(case: dict[str, Any], tmp_path: Path) -> None:
    code, written = call(arguments_for(case, tmp_path / f"{case['number']}-tawtiq.json"))
    assert written["result"] == case["expected_result"], written["data"]
    assert code == (0 if case["expected_result"] == "success" else 1)


ISSUED_OK = [case for case in ALL if case["fn"] == "issue" and case["expected_result"] == "success"]


@pytest.mark.parametrize("case", ISSUED_OK, ids=[case["name"] for case in ISSUED_OK])
def test_what_we_issue_verifies_with_the_same_key(case: dict[str, Any], tmp_path: Path) -> None:
    _, issued = call(arguments_for(case, tmp_path / "issued.json"))
    token_file = tmp_path / "token.txt"
    token_file.write_text(issued["data"], encoding="ascii")
    verify_case = {**case, "fn": "verify", "input_file": str(token_file)}
    verify_case.pop("disclosure_paths", None)
    code, verified = call(arguments_for(verify_case, tmp_path / "verified.json"))
    checks = {check["check"]: (check["outcome"], check["code"]) for check in verified["data"]["checks"]}
    assert checks["signature"][0] == "passed"
    if case["input_file"] == "presentation-single.json":
        # The suite's input envelopes a corrupt credential ("yJraWQ…" lost its first character): issuing the
        # presentation succeeds, as the suite expects, but verifying it must not.
        assert verified["result"] == "failure"
        assert checks["format"] == ("failed", "format.base64url")
        return
    assert checks["format"][0] == "passed"
    if case["input_file"] == "credential-full.json":
        # Its credentialStatus is a StatusList2021Entry, a mechanism we cannot check: never valid, never revoked.
        assert verified["result"] == "indeterminate"
        assert checks["status"] == ("not_checked", "status.unsupported_type")
        assert code == 1
    else:
        assert verified["result"] == "success", verified["data"]
        assert code == 0


def test_sd_jwt_issuance_makes_the_requested_claims_disclosable(tmp_path: Path) -> None:
    case = next(case for case in CASES if case["number"] == 18)
    _, issued = call(arguments_for(case, tmp_path / "issued.json"))
    token = issued["data"]
    disclosures = [part for part in token.split("~")[1:] if part]
    assert len(disclosures) == 3  # street, city and phoneNumbers[0]
    import base64

    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert "street" not in payload["credentialSubject"]["address"]
    assert payload["credentialSubject"]["address"]["country"] == "USA"
    assert "..." in payload["credentialSubject"]["phoneNumbers"][0]


def test_time_rules_apply_at_the_instant_given(tmp_path: Path) -> None:
    # Case 7's presentation expired in December 2024: at its own issuance time it verifies, today it does not.
    case = next(case for case in CASES if case["number"] == 7)
    _, at_issuance = call(arguments_for(case, tmp_path / "a.json"))
    assert at_issuance["result"] == "success"
    code, today = call([*arguments_for(case, tmp_path / "b.json"), "--at", "2026-01-01T00:00:00Z"])
    assert today["result"] == "failure"
    assert code == 1
    assert {c["code"] for c in today["data"]["checks"]} >= {"validity.expired"}


COSE_FAILURES = {
    30: ("format", "cose.encoding"),  # hexadecimal instead of base64
    32: ("signature", "signature.invalid"),
    33: ("format", "format.media_type"),  # typ really/bad
    34: ("format", "format.media_type"),  # typ bad/type
    35: ("format", "vcdm.envelope_invalid"),  # an enveloped credential that is no data: URL
}


@pytest.mark.parametrize("number", sorted(COSE_FAILURES))
def test_each_cose_failure_fails_for_its_own_reason(number: int, tmp_path: Path) -> None:
    case = next(case for case in COSE if case["number"] == number)
    _, written = call(arguments_for(case, tmp_path / "out.json"))
    checks = {check["check"]: (check["outcome"], check["code"]) for check in written["data"]["checks"]}
    name, code = COSE_FAILURES[number]
    assert checks[name] == ("failed", code), written["data"]


def test_cose_issuance_is_base64_of_a_tagged_cose_sign1_with_the_media_types(tmp_path: Path) -> None:
    import base64

    from vc.cose import parse_sign1

    case = next(case for case in COSE if case["number"] == 27)
    _, issued = call(arguments_for(case, tmp_path / "issued.json"))
    assert "=" not in issued["data"]
    message = parse_sign1(base64.b64decode(issued["data"] + "=" * (-len(issued["data"]) % 4)))
    assert message.algorithm == "EdDSA"
    assert message.protected[16] == "application/vc+cose"
    assert message.protected[3] == "application/vc"
    assert json.loads(message.payload)["issuer"] == "did:example:123" or json.loads(message.payload)["issuer"]


def test_an_unknown_feature_still_writes_an_error_result(tmp_path: Path) -> None:
    case = {**CASES[0], "feature": "credential_cbor"}
    code, written = call(arguments_for(case, tmp_path / "out.json"))
    assert written["result"] == "error"
    assert "credential_cbor" in written["data"]
    assert code == 2


def test_a_missing_input_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    case = {**CASES[5], "input_file": str(tmp_path / "absent.txt")}
    code, written = call(arguments_for(case, tmp_path / "out.json"))
    assert written["result"] == "error"
    assert "absent.txt" in written["data"]
    assert code == 2


def test_a_malformed_key_file_is_an_error(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text('{"type": "JsonWebKey", "controller": "https://x", "publicKeyJwk": {"kty": "oct"}}')
    case = {**CASES[5], "key_file": str(key)}
    code, written = call(arguments_for(case, tmp_path / "out.json"))
    assert written["result"] == "error"
    assert "key" in written["data"]
    assert code == 2


@pytest.mark.parametrize("sd", ["not json", '{"a": 1}', "[1, 2]"])
def test_a_malformed_sd_argument_is_an_error(sd: str, tmp_path: Path) -> None:
    case = next(case for case in CASES if case["number"] == 17)
    arguments = arguments_for(case, tmp_path / "out.json")
    arguments[arguments.index("--sd") + 1] = sd
    code, written = call(arguments)
    assert written["result"] == "error"
    assert code == 2


def test_at_without_a_time_zone_is_an_error(tmp_path: Path) -> None:
    code, written = call([*arguments_for(CASES[5], tmp_path / "out.json"), "--at", "2026-01-01T00:00:00"])
    assert written["result"] == "error"
    assert "time zone" in written["data"]
    assert code == 2


def test_the_command_runs_as_a_process_the_way_the_suite_calls_it(tmp_path: Path) -> None:
    case = next(case for case in CASES if case["number"] == 20)
    output = tmp_path / "20-tawtiq.json"
    completed = subprocess.run(
        [sys.executable, "-m", "tawtiq", "conformance", *arguments_for(case, output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(output.read_text())["result"] == "success"
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == {"result": "success"}
