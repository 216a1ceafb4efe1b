"""Key rotation: re-encrypt every stored exchange secret under the new first key, atomically."""

from __future__ import annotations

from core.db.repositories.accounts import AccountRepository
from core.db.repositories.audit import AuditRepository
from core.db.repositories.inbox import InboxRepository
from core.db.session import Database
from core.security import KeyStore


async def rotate_keys(db: Database, keystore: KeyStore) -> int:
    """Return how many accounts were re-encrypted. All or nothing: one transaction.

    Raises ``SecretDecryptError`` (and changes nothing) if any secret does not decrypt with the
    configured keys, so an operator who forgot to list the old key loses nothing.
    """
    async with db.transaction() as session:
        accounts = await AccountRepository(session).with_secrets_for_update()
        for account in accounts:
            if account.api_key_enc:
                account.api_key_enc = keystore.rotate(account.api_key_enc)
            if account.secret_enc:
                account.secret_enc = keystore.rotate(account.secret_enc)
            if account.passphrase_enc:
                account.passphrase_enc = keystore.rotate(account.passphrase_enc)
        pending = await InboxRepository(session).pending_payloads_for_update()
        for row in pending:
            row.payload = keystore.rotate(row.payload)
        await AuditRepository(session).add(
            "keys_rotated",
            actor_user_id=None,
            details={"accounts": len(accounts), "inbox": len(pending)},
        )
        return len(accounts)
