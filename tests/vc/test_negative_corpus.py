"""The negative corpus: one asset per failure mode of ``vc.verify``, each with its verdict, check and code.

Assets are read as committed; ``assets/make_negative_corpus.py`` regenerates them byte for byte (a test checks).
Every asset changes one thing of a valid presentation, so each must fail exactly one check, with the manifest's
code, and never raise; the controls in ``assets/valid``, built the same way without the change, verify valid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.vc import corpus_support as corpus
from vc import CheckName, Outcome, Verdict, VerificationReport, verify

MANIFEST: dict[str, Any] = json.loads(corpus.MANIFEST.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
CONTROLS = sorted(corpus.VALID_DIR.glob("*.txt"))


def _verify(
    asset: Path, *, keys: corpus.RecordingKeyResolver | None = None, **policy: Any
) -> tuple[VerificationReport, corpus.RecordingKeyResolver]:
    keys = keys or corpus.RecordingKeyResolver(corpus.key_resolver())
    report = verify(
        asset.read_bytes(), keys=keys, status=corpus.status_resolver(), policy=corpus.policy(**policy), now=corpus.NOW
    )
    return report, keys


def _policy_changes(setup: dict[str, Any]) -> dict[str, Any]:
    return {name: tuple(value) if isinstance(value, list) else value for name, value in setup.get("policy", {}).items()}


def test_every_asset_has_a_manifest_entry_and_every_entry_an_asset() -> None:
    assets = sorted(path.name for path in corpus.NEGATIVE_DIR.iterdir() if path != corpus.MANIFEST)
    listed = [entry["asset"] for entry in CASES]
    assert len(listed) == len(set(listed)), "an asset is listed twice"
    assert sorted(listed) == assets


@pytest.mark.parametrize("entry", CASES, ids=[Path(entry["asset"]).stem for entry in CASES])
def test_asset_extension_says_whether_it_is_text(entry: dict[str, Any]) -> None:
    data = (corpus.NEGATIVE_DIR / entry["asset"]).read_bytes()
    suffix = Path(entry["asset"]).suffix
    assert suffix in {".txt", ".bin"}
    if suffix == ".txt":
        data.decode("utf-8")
    else:
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_manifest_entries_are_complete() -> None:
    assert MANIFEST["verified_at"] == corpus.NOW.isoformat()
    checks = {str(name) for name in CheckName}
    for entry in CASES:
        assert entry["verdict"] in {Verdict.INVALID, Verdict.INDETERMINATE}, entry["asset"]
        assert entry["check"] in checks, entry["asset"]
        assert entry["code"], entry["asset"]
        assert entry["description"], entry["asset"]
        assert set(entry.get("setup", {})) <= set(MANIFEST["setup_switches"]), entry["asset"]


@pytest.mark.parametrize("entry", CASES, ids=[Path(entry["asset"]).stem for entry in CASES])
def test_failure_mode_gives_its_code(entry: dict[str, Any]) -> None:
    setup = entry.get("setup", {})
    report, keys = _verify(corpus.NEGATIVE_DIR / entry["asset"], **_policy_changes(setup))

    assert report.verdict == entry["verdict"]
    check = report.check(entry["check"])
    if entry["verdict"] == Verdict.INDETERMINATE:
        assert (check.outcome, check.blocking) == (Outcome.NOT_CHECKED, True)
    else:
        assert check.outcome is Outcome.FAILED
    assert check.code == entry["code"], check.message
    # Exactly one thing is wrong with each asset, so exactly one check is a problem.
    assert [problem.name for problem in report.problems] == [entry["check"]]
    if setup.get("expect_no_key_request"):
        assert keys.requests == []


@pytest.mark.parametrize("control", CONTROLS, ids=[path.stem for path in CONTROLS])
def test_untouched_control_verifies_valid(control: Path) -> None:
    report, _ = _verify(control)

    assert report.verdict is Verdict.VALID
    assert [(check.name, check.outcome) for check in report.checks] == [(name, Outcome.PASSED) for name in CheckName]


def test_controls_cover_both_profiles_and_the_old_keys() -> None:
    assert {path.stem for path in CONTROLS} == {
        "w3c-presentation",
        "sd-jwt-vc-presentation",
        "w3c-presentation-in-data-url",
        "retired-key-before-retirement",
    }


@pytest.mark.parametrize(
    ("control", "refused", "key"),
    [("retired-key-before-retirement", "retired-key-after-retirement", corpus.RETIRED_KEY)],
)
def test_old_key_verifies_what_it_signed_inside_its_window_only(control: str, refused: str, key: str) -> None:
    kid = corpus.public_key(key).kid
    before, _ = _verify(corpus.VALID_DIR / f"{control}.txt")
    after, _ = _verify(corpus.NEGATIVE_DIR / f"{refused}.txt")

    assert (before.verdict, before.kid) == (Verdict.VALID, kid)
    assert (after.verdict, after.kid) == (Verdict.INVALID, kid)


def test_a_compromised_key_fails_before_and_after_the_declared_compromise() -> None:
    kid = corpus.public_key(corpus.COMPROMISED_KEY).kid
    for name in ("compromised-key-before-compromise", "compromised-key-after-compromise"):
        report, _ = _verify(corpus.NEGATIVE_DIR / f"{name}.txt")
        assert (report.verdict, report.kid) == (Verdict.INVALID, kid)
        [signature] = [check for check in report.checks if check.name is CheckName.SIGNATURE]
        assert signature.code == "key.compromised"
        assert "declared this key compromised on 2025-01-01" in signature.message


def test_oversized_input_is_refused_for_its_size_alone() -> None:
    asset = corpus.NEGATIVE_DIR / "input-too-large.txt"
    refused, keys = _verify(asset)
    accepted, _ = _verify(asset, max_input_bytes=256 * 1024)

    assert refused.profile is None, "nothing was parsed"
    assert keys.requests == []
    assert accepted.verdict is Verdict.VALID


def test_the_committed_corpus_is_what_the_script_makes() -> None:
    from tests.vc.assets.make_negative_corpus import render

    made = render()
    committed = {
        f"{directory.name}/{path.name}": path.read_bytes()
        for directory in (corpus.NEGATIVE_DIR, corpus.VALID_DIR)
        for path in directory.iterdir()
    }
    assert sorted(committed) == sorted(made), "run tests/vc/assets/make_negative_corpus.py and commit what it writes"
    differing = sorted(path for path, content in made.items() if committed[path] != content)
    assert not differing, f"{differing} differ from what make_negative_corpus.py makes now; regenerate and commit"
