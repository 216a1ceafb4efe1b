"""T10: key rotation also re-seals the half-done /connect forms aiogram keeps in Redis, keeps
their time to live and everything else in them, and writes nothing when a value does not open
with the configured keys."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from bot.fsm_rotation import rotate_fsm_data
from core.cache import KeyValue, redis_client
from core.security import KeyStore, SecretDecryptError
from tests.services import RedisServer

FORM = "fsm:42:2002:2002:default:data"
OTHER = "fsm:42:3003:3003:default:data"


async def test_forms_are_resealed_under_the_new_key(
    redis_kv: KeyValue, redis_srv: RedisServer
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    before = KeyStore([old])
    redis = redis_client(redis_srv.url())
    try:
        form = {
            "exchange": "binance",
            "api_key": before.seal("KEY-1"),
            "nested": [before.seal("S")],
        }
        await redis.set(FORM, json.dumps(form), ex=3600)
        await redis.set(OTHER, json.dumps({"step": "pin"}))  # nothing sealed: left alone
        assert await rotate_fsm_data(redis, KeyStore([new, old])) == 2
        after = json.loads(await redis.get(FORM))
        only_new = KeyStore([new])
        assert only_new.unseal(after["api_key"]) == "KEY-1"
        assert only_new.unseal(after["nested"][0]) == "S"
        assert after["exchange"] == "binance"
        assert 3500 < await redis.ttl(FORM) <= 3600
        assert json.loads(await redis.get(OTHER)) == {"step": "pin"}
    finally:
        await redis.aclose()


async def test_a_form_the_keys_cannot_open_stops_the_run_unwritten(
    redis_kv: KeyValue, redis_srv: RedisServer
) -> None:
    lost, new = Fernet.generate_key(), Fernet.generate_key()
    redis = redis_client(redis_srv.url())
    try:
        sealed = KeyStore([lost]).seal("KEY-2")
        await redis.set(FORM, json.dumps({"api_key": sealed}))
        with pytest.raises(SecretDecryptError):
            await rotate_fsm_data(redis, KeyStore([new]))
        assert json.loads(await redis.get(FORM)) == {"api_key": sealed}
    finally:
        await redis.aclose()
