"""Plain-language commands: the text, the parsed intent, and how each one ended."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from core.db.models import AICommand
from core.db.repositories.base import Repository


class AICommandRepository(Repository):
    async def add(
        self,
        *,
        user_id: int,
        text: str,
        intent: dict[str, Any] | None,
        parser: str,
        status: str,
        outcome: str | None = None,
    ) -> AICommand:
        command = AICommand(
            user_id=user_id,
            text=text,
            intent=intent,
            parser=parser,
            status=status,
            outcome=outcome,
        )
        self._session.add(command)
        await self._session.flush()
        return command

    async def get(self, command_id: int) -> AICommand | None:
        return await self._session.get(AICommand, command_id)

    async def transition(
        self, command_id: int, from_status: str, to_status: str, outcome: str | None = None
    ) -> bool:
        """Compare-and-set on the status; False when another press moved it first."""
        values: dict[str, Any] = {"status": to_status}
        if outcome is not None:
            values["outcome"] = outcome
        result = await self._session.execute(
            update(AICommand)
            .where(AICommand.id == command_id, AICommand.status == from_status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, command_id: int, status: str, outcome: str) -> None:
        await self._session.execute(
            update(AICommand)
            .where(AICommand.id == command_id)
            .values(status=status, outcome=outcome)
            .execution_options(synchronize_session=False)
        )

    async def recent(self, user_id: int, limit: int = 20) -> list[AICommand]:
        stmt = (
            select(AICommand)
            .where(AICommand.user_id == user_id)
            .order_by(AICommand.created_at.desc(), AICommand.id.desc())
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))
