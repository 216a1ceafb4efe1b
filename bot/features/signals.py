"""Wiring of the signals feature: its services, routers and lifecycle hooks."""

from __future__ import annotations

from bot.features import Feature, FeatureContext


async def build(ctx: FeatureContext) -> Feature:
    return Feature()
