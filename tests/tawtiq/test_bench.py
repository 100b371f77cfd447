"""The benchmark modules: their fixtures build what they claim (the figures themselves are never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tawtiq.bench import verifier as bench
from tawtiq.bench.__main__ import main
from verifier.verification import Expectations


def test_the_benchmark_fixture_verifies(tmp_path: Path):
    from verifier.services import Services
    from verifier.settings import Settings

    fixture = bench._prepare(tmp_path, port=8999, count=2)
    assert len(set(fixture.tokens)) == len(set(fixture.presentations)) == 2  # every request its own credential
    environment = fixture.environment
    services = Services.build(
        Settings(
            trust_list=environment["TAWTIQ_VERIFIER_TRUST_LIST"],
            database_url=environment["TAWTIQ_VERIFIER_DATABASE_URL"],
            secret_key=environment["TAWTIQ_VERIFIER_SECRET_KEY"],
        )
    )
    services.start()
    try:
        for token in fixture.tokens:
            assert services.verifier.verify(token, expect=Expectations(holder_binding=False)).verified
        for presentation in fixture.presentations:
            expect = Expectations(holder_binding=True, audience=bench.AUDIENCE, nonce=bench.CHALLENGE)
            assert services.verifier.verify(presentation, expect=expect).verified
    finally:
        services.close()


def test_an_unknown_part_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["engine", "database"])
    assert caught.value.code == 2
    assert (
        "unknown part database; expected any of engine, serving, verifier, revocation, flow, printing, issuer"
        in capsys.readouterr().err
    )
