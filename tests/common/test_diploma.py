"""The diploma's verification set-up: one registry of pinned contexts, one set of validators, one policy recipe."""

from __future__ import annotations

from datetime import timedelta

import pytest

import schemas
from common.diploma import (
    DIPLOMA_TYPES,
    diploma_contexts,
    diploma_policy,
    diploma_trust_list,
    diploma_validators,
)
from vc import ConfigurationError, HolderBinding

ISSUER = "https://bac.example.ma"


def test_the_contexts_are_the_pinned_documents_built_once() -> None:
    assert diploma_contexts() is diploma_contexts()
    assert diploma_contexts().documents == schemas.pinned_contexts()


def test_the_validators_cover_both_profiles_and_cannot_be_changed() -> None:
    validators = diploma_validators()
    assert validators is diploma_validators()
    assert set(validators) == {schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT}
    with pytest.raises(TypeError):
        validators["other"] = lambda payload: []  # type: ignore[index]
    assert validators[schemas.DIPLOMA_VCT]({"generalAverage": "high"})


def test_a_trust_list_for_one_issuer_covers_both_profiles_unless_told() -> None:
    both = diploma_trust_list(ISSUER, version="v1")
    assert both.version == "v1"
    assert both.issuers == {ISSUER: DIPLOMA_TYPES}
    assert both.decide(ISSUER, [schemas.DIPLOMA_VCT]).trusted
    w3c_only = diploma_trust_list(ISSUER, version="v1", types=frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE}))
    assert not w3c_only.decide(ISSUER, [schemas.DIPLOMA_VCT]).trusted
    assert not both.decide("https://elsewhere.example", [schemas.DIPLOMA_VCT]).trusted


def test_the_policy_joins_the_set_up_with_the_callers_choices() -> None:
    binding = HolderBinding(required=True, audience="https://verifier.example", nonce="n", max_age=timedelta(minutes=2))
    policy = diploma_policy(
        trust=diploma_trust_list(ISSUER, version="v1"),
        holder_binding=binding,
        required_disclosures=[("generalAverage",)],
        algorithms=frozenset({"ES256"}),
        max_input_bytes=4096,
    )
    assert policy.contexts is diploma_contexts()
    assert policy.schemas is diploma_validators()
    assert policy.holder_binding == binding
    assert policy.required_disclosures == (("generalAverage",),)
    assert policy.algorithms == {"ES256"}
    assert policy.max_input_bytes == 4096
    unchecked = diploma_policy(trust=policy.trust, holder_binding=binding, check_schemas=False)
    assert dict(unchecked.schemas) == {}


def test_an_unsupported_algorithm_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        diploma_policy(
            trust=diploma_trust_list(ISSUER, version="v1"),
            holder_binding=HolderBinding(),
            algorithms=frozenset({"HS256"}),
        )
    assert caught.value.code == "policy.algorithm_unknown"
