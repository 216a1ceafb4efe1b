"""Secrets at rest and credentials: the key store, hashing, signing, masking.

- ``KeyStore`` encrypts exchange secrets with ``MultiFernet`` (first key encrypts, every key
  decrypts) and re-encrypts under a new first key on rotation. Every value it decrypts is
  registered with the log redactor, so it can never reach a log line.
- ``resolve_encryption_keys`` never invents a new key on each start (that would lose every
  stored secret): in development it creates one once under ``DATA_DIR`` with 0600 permissions;
  in production it must be given.
- Hashing (PINs, API tokens) is argon2 through passlib, run off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from passlib.context import CryptContext

from core.errors import ConfigError, UserError

KEY_FILE_NAME: Final = "encryption.key"


class SecretDecryptError(ConfigError):
    """Stored secrets do not decrypt with the configured keys (wrong or rotated-away key)."""

    def __init__(self) -> None:
        super().__init__(
            [
                "ENCRYPTION_KEY: stored exchange secrets cannot be decrypted with the configured "
                "key(s); restore the old key, or list it after the new one while rotating "
                "(ENCRYPTION_KEY=new,old)"
            ]
        )


def resolve_encryption_keys(
    configured: str | None, *, data_dir: Path, production: bool
) -> list[bytes]:
    """Return the Fernet keys to use, creating the development key file once if needed."""
    if configured:
        return [k.strip().encode() for k in configured.split(",") if k.strip()]
    if production:
        raise ConfigError(["ENCRYPTION_KEY: required in production"])
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        key = path.read_text().strip().encode()
        if not key:
            raise ConfigError([f"{path}: the development key file is empty; delete it or fix it"])
        return [key]
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return [path.read_text().strip().encode()]
    with os.fdopen(fd, "w") as handle:
        handle.write(key.decode() + "\n")
    return [key]


class KeyStore:
    """Encrypts and decrypts exchange secrets; first key encrypts, all keys decrypt."""

    def __init__(self, keys: list[bytes], on_decrypt: Callable[[str], None] | None = None) -> None:
        if not keys:
            raise ConfigError(["ENCRYPTION_KEY: at least one key is needed"])
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError):
            raise ConfigError(["ENCRYPTION_KEY: not a valid Fernet key"]) from None
        self._on_decrypt = on_decrypt
        # told when a stored value does not open (the admins' e-mail alert); must not block
        self.on_failure: Callable[[], None] | None = None

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            value = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            self._failed()
            raise SecretDecryptError() from None
        if self._on_decrypt is not None:
            self._on_decrypt(value)
        return value

    def seal(self, data: str) -> str:
        """Encrypt data that may *contain* secrets (a raw update), rather than be one."""
        return self._fernet.encrypt(data.encode()).decode()

    def unseal(self, token: str) -> str:
        """Decrypt sealed data; unlike ``decrypt`` the whole value is not registered as a
        secret with the log redactor (it is a document, not a credential)."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            self._failed()
            raise SecretDecryptError() from None

    def _failed(self) -> None:
        if self.on_failure is not None:
            self.on_failure()

    def rotate(self, token: str) -> str:
        """Re-encrypt under the first key (raises ``SecretDecryptError`` for unknown keys)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretDecryptError() from None


def mask(secret: str, visible: int = 4) -> str:
    """``abcd…wxyz`` for long values, ``••••`` for short ones: safe to show and log."""
    if len(secret) <= visible * 2 + 2:
        return "•" * 4
    return f"{secret[:visible]}…{secret[-visible:]}"


_hasher = CryptContext(schemes=["argon2"], deprecated="auto")


async def hash_secret(value: str) -> str:
    """Argon2 hash of a PIN, password or API token (CPU-heavy: runs in a worker thread)."""
    return await asyncio.to_thread(_hasher.hash, value)


async def verify_secret(value: str, hashed: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, value, hashed)
    except (ValueError, TypeError):
        return False


def validate_pin(pin: str) -> str:
    pin = pin.strip()
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise UserError("A PIN is 4 to 12 digits. Send it again, or /cancel.")
    return pin


def new_token(nbytes: int = 12) -> str:
    """An opaque, unguessable id (for buttons and API tokens)."""
    return secrets.token_urlsafe(nbytes)
