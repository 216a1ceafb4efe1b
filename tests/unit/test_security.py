"""Key store round trip and rotation, dev key file, hashing, signing, masking."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.errors import ConfigError
from core.security import (
    KeyStore,
    SecretDecryptError,
    hash_secret,
    mask,
    resolve_encryption_keys,
    verify_secret,
)


def test_round_trip_never_stores_plaintext() -> None:
    store = KeyStore([Fernet.generate_key()])
    token = store.encrypt("my-api-secret-123")
    assert "my-api-secret-123" not in token
    assert store.decrypt(token) == "my-api-secret-123"


def test_rotation_re_encrypts_under_the_new_first_key() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = KeyStore([old]).encrypt("s3cret-value")
    rotated = KeyStore([new, old]).rotate(token)
    assert KeyStore([new]).decrypt(rotated) == "s3cret-value"
    with pytest.raises(SecretDecryptError):
        KeyStore([old]).decrypt(rotated)


def test_wrong_key_gives_a_clear_error_without_the_secret() -> None:
    token = KeyStore([Fernet.generate_key()]).encrypt("top-secret-thing")
    with pytest.raises(SecretDecryptError) as info:
        KeyStore([Fernet.generate_key()]).decrypt(token)
    assert "ENCRYPTION_KEY" in str(info.value)
    assert "top-secret-thing" not in str(info.value)


def test_decrypted_values_are_reported_to_the_redactor() -> None:
    seen: list[str] = []
    store = KeyStore([Fernet.generate_key()], on_decrypt=seen.append)
    store.decrypt(store.encrypt("abcdef123456"))
    assert seen == ["abcdef123456"]


def test_dev_key_is_created_once_with_0600(tmp_path: Path) -> None:
    first = resolve_encryption_keys(None, data_dir=tmp_path, production=False)
    second = resolve_encryption_keys(None, data_dir=tmp_path, production=False)
    assert first == second
    mode = stat.S_IMODE((tmp_path / "encryption.key").stat().st_mode)
    assert mode == 0o600


def test_production_never_generates_a_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        resolve_encryption_keys(None, data_dir=tmp_path, production=True)
    assert not (tmp_path / "encryption.key").exists()


def test_configured_keys_are_used_in_order(tmp_path: Path) -> None:
    a, b = Fernet.generate_key(), Fernet.generate_key()
    keys = resolve_encryption_keys(
        f"{a.decode()},{b.decode()}", data_dir=tmp_path, production=True
    )
    assert keys == [a, b]


async def test_hashing_runs_and_verifies() -> None:
    hashed = await hash_secret("4821")
    assert hashed.startswith("$argon2")
    assert await verify_secret("4821", hashed)
    assert not await verify_secret("4822", hashed)
    assert not await verify_secret("4821", "garbage")


@pytest.mark.parametrize(
    ("value", "masked"),
    [("abcdefghijklmnop", "abcd…mnop"), ("short", "••••"), ("", "••••")],
)
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked
