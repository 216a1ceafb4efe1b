"""Action tokens: the opaque ids behind Confirm buttons, used at most once."""

from __future__ import annotations

from sqlalchemy import select, update

from core.db.models import ActionToken
from core.db.repositories.base import Repository


class TokenRepository(Repository):
    async def add(self, token: ActionToken) -> ActionToken:
        self._session.add(token)
        await self._session.flush()
        return token

    async def get(self, token_id: str, *, lock: bool = False) -> ActionToken | None:
        stmt = select(ActionToken).where(ActionToken.id == token_id)
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return await self._session.scalar(stmt)

    async def transition(self, token_id: str, from_status: str, to_status: str) -> bool:
        """Move the token from one status to another; False when it was not in ``from_status``
        (a concurrent press already moved it): the compare-and-set that makes a button single-use.
        """
        result = await self._session.execute(
            update(ActionToken)
            .where(ActionToken.id == token_id, ActionToken.status == from_status)
            .values(status=to_status)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
