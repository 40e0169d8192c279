"""Rotating the signing key: checkpoints signed by a retired key still verify while that key
is listed in CARDGRAPH_SIGNING_KEYS_RETIRED, and the next write signs with the new key."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from cardgraph.ledger.key_file import load_retired_keys
from cardgraph.ledger.signing import KeyFormatError, SigningKey
from cardgraph.principals import Principal, Role
from cardgraph.settings import Settings
from tests.support.monitoring import services_with_log
from tests.support.servers import run_async

EDITOR = Principal(key_id="rotation", name="rotation", role=Role.EDITOR)


def test_a_rotated_key_keeps_old_checkpoints_verifiable(settings: Settings, card_name: str) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    with_old = settings.model_copy(update={"signing_key": SecretStr(old.seed_base64())})
    rotated = settings.model_copy(
        update={
            "signing_key": SecretStr(new.seed_base64()),
            "signing_keys_retired": (old.public_key.base64,),
        }
    )
    forgot = settings.model_copy(update={"signing_key": SecretStr(new.seed_base64())})

    async def scenario() -> list[list[str]]:
        outcomes = []
        async with services_with_log(with_old) as (services, _):
            await services.cards.create_card(card_name, {}, EDITOR)
        for configured in (rotated, forgot):
            async with services_with_log(configured) as (services, _):
                verified = await services.cards.verify(card_name)
                outcomes.append([str(f) for f in verified.result.findings])
        async with services_with_log(rotated) as (services, _):
            await services.cards.update_content(card_name, {"model_overview": {}}, EDITOR)
        async with services_with_log(forgot) as (services, _):
            checkpoint = await services.cards.checkpoint(
                await services.cards.require_card(card_name)
            )
            assert checkpoint is not None and checkpoint.key_id == new.public_key.key_id
            verified = await services.cards.verify(card_name)
            outcomes.append([str(f) for f in verified.result.findings])
        return outcomes

    listed, unlisted, after_a_write = run_async(scenario())
    assert listed == []
    assert unlisted == [
        "the card's checkpoint: its signature does not verify with the service's public key"
    ]
    assert after_a_write == []


def test_a_malformed_retired_key_names_its_setting(settings: Settings) -> None:
    bad = settings.model_copy(update={"signing_keys_retired": ("not-a-key",)})
    with pytest.raises(KeyFormatError, match="CARDGRAPH_SIGNING_KEYS_RETIRED"):
        load_retired_keys(bad)
