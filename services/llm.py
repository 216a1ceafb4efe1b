"""One question to an OpenAI-compatible model with a structured answer.

Both model fallbacks (the signal parser's and the plain-language commands') ask the same way:
one request with the expected schema as ``response_format``, no retries (a retry storm helps
nobody when the model is slow), a short timeout, and ``None`` instead of an exception for any
failure or refusal, so the caller simply keeps what the rules gave it. What the answer means,
and whether it holds up against the text, is the caller's to check.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = structlog.get_logger(__name__)

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class AnswerRejected(ValueError):
    """The model's answer does not hold up against the text it was asked about."""


def openai_client(*, api_key: str, base_url: str | None, timeout: float) -> AsyncOpenAI:
    """An OpenAI-compatible client without retries."""
    from openai import AsyncOpenAI

    return AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


class StructuredModel(Generic[SchemaT]):
    """``ask(text)`` returns the model's answer as ``schema``, or None.

    ``owns_client``: ``aclose`` closes the client (it was built for this model); a client
    passed in by the caller stays the caller's to close."""

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        schema: type[SchemaT],
        system_prompt: str,
        timeout: float,
        log_prefix: str,
        owns_client: bool = False,
    ) -> None:
        self._owned = client if owns_client else None
        self._client = client.with_options(timeout=timeout, max_retries=0)
        self._model = model
        self._schema = schema
        self._system_prompt = system_prompt
        self._timeout = timeout
        self._log_prefix = log_prefix

    async def ask(self, text: str) -> SchemaT | None:
        from openai import OpenAIError

        messages: list[Any] = [
            {"role": "system", "content": self._system_prompt},
            {"role": "user", "content": text},
        ]
        try:
            # the client timeout is the real limit; this guard only stops a stuck transport
            async with asyncio.timeout(self._timeout + 1.0):
                completion = await self._client.chat.completions.parse(
                    model=self._model, messages=messages, response_format=self._schema
                )
        except (OpenAIError, ValidationError, ValueError, TimeoutError) as exc:
            log.warning(f"{self._log_prefix}_failed", error_type=type(exc).__name__)
            return None
        if not completion.choices:
            return None
        message = completion.choices[0].message
        if message.parsed is None:
            log.info(f"{self._log_prefix}_refused", refusal=message.refusal)
            return None
        return message.parsed

    async def aclose(self) -> None:
        if self._owned is not None:
            await self._owned.close()
            self._owned = None
