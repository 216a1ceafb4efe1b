"""The AI fallback against a fake OpenAI server: when it wins, when it is rejected, failures."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from openai import AsyncOpenAI

from core.domain import Side, SignalKind, UpdateType
from services.signal_parser import parse
from services.signal_parser.ai import AIParser, parse_with_fallback
from tests.fakes.openai_api import FakeOpenAI
from tests.integration.ai.conftest import MemoryCache

# the rules find a coin and levels but no side word and no labels they know: low confidence
WEAK_POST = "ONDO\n想法：0.95 上车 / 1.05 和 1.12 下车 / 0.90 认错"


def answer(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "entry",
        "base": "ONDO",
        "quote": None,
        "side": "long",
        "market": None,
        "entry_market": False,
        "entry": ["0.95"],
        "targets": ["1.05", "1.12"],
        "stop_loss": "0.90",
        "leverage": None,
        "update_type": None,
        "target_index": None,
    }
    base.update(overrides)
    return base


def test_weak_post_is_weak_for_the_rules() -> None:
    assert parse(WEAK_POST).confidence < 0.6


async def test_model_wins_when_rules_are_weak(
    openai_api: FakeOpenAI, openai_client: AsyncOpenAI
) -> None:
    openai_api.answer(answer())
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    result = await parse_with_fallback(WEAK_POST, ai)
    assert result.parser == "ai"
    assert result.kind is SignalKind.ENTRY
    assert result.side is Side.LONG
    assert result.entry == (Decimal("0.95"),)
    assert result.targets == (Decimal("1.05"), Decimal("1.12"))
    assert result.stop_loss == Decimal("0.90")
    request = openai_api.requests[0]
    assert request["model"] == "gpt-test"
    assert request["response_format"]["type"] == "json_schema"
    assert request["messages"][-1]["content"] == WEAK_POST


async def test_confident_rules_do_not_call_the_model(
    openai_api: FakeOpenAI, openai_client: AsyncOpenAI
) -> None:
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    result = await parse_with_fallback("BTC/USDT LONG\nEntry: 42000\nTP: 43000\nSL: 41000", ai)
    assert result.parser == "rules"
    assert openai_api.requests == []


@pytest.mark.parametrize(
    "bad",
    [
        answer(targets=["1.05", "1.50"]),  # 1.50 is not in the post
        answer(stop_loss="1.20"),  # invented and on the wrong side
        answer(side="short"),  # targets above entry contradict a short
        answer(base="PEPE"),  # coin not named in the post
    ],
    ids=["invented_target", "invented_stop", "side_disagrees", "invented_coin"],
)
async def test_answer_not_backed_by_the_post_is_rejected(
    openai_api: FakeOpenAI, openai_client: AsyncOpenAI, bad: dict[str, Any]
) -> None:
    openai_api.answer(bad)
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    result = await parse_with_fallback(WEAK_POST, ai)
    assert result.parser == "rules"
    assert result == parse(WEAK_POST)
    assert len(openai_api.requests) == 1


async def test_timeout_falls_back_to_rules_with_one_request(
    openai_api: FakeOpenAI, openai_client: AsyncOpenAI
) -> None:
    openai_api.hang()
    openai_api.answer(answer())  # would be used by a retry; there must be none
    ai = AIParser(openai_client, "gpt-test", timeout=0.3)
    result = await parse_with_fallback(WEAK_POST, ai)
    assert result.parser == "rules"
    assert len(openai_api.requests) == 1


@pytest.mark.parametrize("failure", ["fail", "refuse", "garbage"])
async def test_model_failures_fall_back_to_rules(
    openai_api: FakeOpenAI, openai_client: AsyncOpenAI, failure: str
) -> None:
    getattr(openai_api, failure)()
    openai_api.answer(answer())
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    result = await parse_with_fallback(WEAK_POST, ai)
    assert result.parser == "rules"
    assert len(openai_api.requests) == 1


async def test_cache_hit_makes_no_second_request(
    openai_api: FakeOpenAI, openai_client: AsyncOpenAI, cache: MemoryCache
) -> None:
    openai_api.answer(answer())
    ai = AIParser(openai_client, "gpt-test", timeout=5.0, cache=cache)
    first = await parse_with_fallback(WEAK_POST, ai)
    second = await parse_with_fallback(WEAK_POST, ai)
    assert first.parser == second.parser == "ai"
    assert first == second
    assert len(openai_api.requests) == 1
    (key,) = cache.data
    assert key.startswith("sigparse:v1:") and len(key) == len("sigparse:v1:") + 64
    assert cache.ttls[key] > 0


async def test_update_answer(openai_api: FakeOpenAI, openai_client: AsyncOpenAI) -> None:
    text = "ONDO 第二个目标到了 🎉"
    openai_api.answer(
        answer(
            kind="update",
            side=None,
            entry=[],
            targets=[],
            stop_loss=None,
            update_type="tp_hit",
            target_index=2,
        )
    )
    ai = AIParser(openai_client, "gpt-test", timeout=5.0)
    result = await ai.ask(text)
    assert result is not None
    assert result.kind is SignalKind.UPDATE
    assert result.update is not None and result.update.type is UpdateType.TP_HIT
    assert result.update.target_index == 2


async def test_from_config_builds_a_working_client(openai_api: FakeOpenAI) -> None:
    openai_api.answer(json.dumps(answer()))
    ai = AIParser.from_config(api_key="test", model="m", base_url=openai_api.base_url)
    try:
        assert (await ai.ask(WEAK_POST)) is not None
    finally:
        await ai.aclose()
