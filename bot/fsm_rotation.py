"""Key rotation for what the chat keeps half-done in Redis (threat T10): the /connect form holds
its key material sealed with the key store inside aiogram's FSM data (``fsm:...:data`` JSON
under ``RedisStorage``'s default key builder). ``tsbot keys rotate`` re-seals those values
under the new first key too, so the old key can be dropped at once.

All or nothing per run: every sealed value is re-sealed in memory first; one that the
configured keys cannot open stops the run before anything is written (the operator forgot to
list the old key). Each form keeps its remaining time to live.
"""

from __future__ import annotations

import json
from typing import Any, Final

from redis.asyncio import Redis

from core.security import KeyStore

FSM_DATA: Final = "fsm:*:data"
FERNET_PREFIX: Final = "gAAAAA"  # a Fernet token's version byte, base64url


def _reseal(value: Any, keystore: KeyStore) -> tuple[Any, int]:
    """The value with every sealed string in it re-sealed, and how many there were."""
    if isinstance(value, str) and value.startswith(FERNET_PREFIX):
        return keystore.rotate(value), 1
    if isinstance(value, dict):
        count, out = 0, {}
        for key, item in value.items():
            out[key], found = _reseal(item, keystore)
            count += found
        return out, count
    if isinstance(value, list):
        pairs = [_reseal(item, keystore) for item in value]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    return value, 0


async def rotate_fsm_data(redis: Redis, keystore: KeyStore) -> int:
    """Re-seal every sealed value kept in FSM data; returns how many were re-sealed. Raises
    ``SecretDecryptError`` (writing nothing) when one does not open with the configured keys."""
    planned: list[tuple[bytes, str, int]] = []
    resealed = 0
    async for key in redis.scan_iter(match=FSM_DATA, count=500):
        raw = await redis.get(key)
        if raw is None:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue  # not ours to touch
        new, count = _reseal(data, keystore)
        if count:
            ttl = await redis.pttl(key)
            planned.append((key, json.dumps(new), ttl))
            resealed += count
    for key, value, ttl in planned:
        if ttl > 0:
            await redis.set(key, value, px=ttl)
        else:
            await redis.set(key, value, keepttl=True)
    return resealed
