"""Reads every role has some of: who am I, sources with their scores, signals, their charts."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query, Response

from api.deps import Deps, allow, need
from api.errors import refusals
from api.schemas import MeOut
from api.schemas_reads import (
    SignalDetailOut,
    SignalOut,
    SignalPage,
    SourceDetailOut,
    SourceOut,
    SourcePage,
    TopOut,
    WindowOut,
)
from core.domain import SignalStatus
from core.errors import UserError
from services.api_auth import Principal
from services.catalog import SignalFilter
from services.charts import Theme

REFUSALS = refusals(400, 401, 403, 404, 422, 429)
PNG: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {"image/png": {}}, "description": "a PNG chart"}
}
router = APIRouter(tags=["reads"], responses=REFUSALS)

Cursor = Annotated[str | None, Query(max_length=20, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=100)]
ThemeName = Annotated[Literal["dark", "light"], Query()]


def cursor_id(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise UserError("That cursor is not one this API gave out.")
    return int(cursor)


@router.get("/me", summary="The caller: user, role, token scope")
async def me(principal: Annotated[Principal, allow("bot.use")]) -> MeOut:
    return MeOut.of_principal(principal)


@router.get("/sources", summary="Sources the caller may see, with all-time scores (id order)")
async def sources(
    deps: Deps,
    principal: Annotated[Principal, allow("sources.read")],
    cursor: Cursor = None,
    limit: Limit = 50,
) -> SourcePage:
    after = cursor_id(cursor)
    scored = await need(deps.tracking).scores(principal.user)
    rows = [(v, s) for v, s in scored if after is None or v.id > after]
    page = rows[:limit]
    more = len(rows) > limit
    return SourcePage(
        items=[SourceOut.of(v, s) for v, s in page],
        next_cursor=str(page[-1][0].id) if more and page else None,
    )


@router.get("/sources/top", summary="The leaderboard: ranked by expectancy, as /top")
async def top(
    deps: Deps,
    principal: Annotated[Principal, allow("signals.read")],
    days: Annotated[Literal[30, 90] | None, Query(description="window; none: all time")] = None,
) -> TopOut:
    minimum, ranked = await need(deps.tracking).top(principal.user, days)
    return TopOut(
        items=[SourceOut.of(v, s) for v, s in ranked], next_cursor=None, min_signals=minimum
    )


@router.get("/sources/{source_id}", summary="One source with its 30, 90 days and all-time scores")
async def source(
    source_id: int, deps: Deps, principal: Annotated[Principal, allow("sources.read")]
) -> SourceDetailOut:
    stats = await need(deps.tracking).stats(f"#{_id(source_id)}", principal.user)
    overall = stats.scores[-1]
    base = SourceOut.of(stats.source, overall).model_dump()
    return SourceDetailOut(**base, windows=[WindowOut.of(s) for s in stats.scores])


@router.get(
    "/sources/{source_id}/chart.png",
    summary="A source's equity curve in R",
    response_class=Response,
    responses=PNG,
)
async def source_chart(
    source_id: int,
    deps: Deps,
    principal: Annotated[Principal, allow("sources.read")],
    theme: ThemeName = "dark",
) -> Response:
    png = await need(deps.tracking).source_chart(_id(source_id), principal.user, Theme(theme))
    return Response(png, media_type="image/png")


@router.get("/signals", summary="Signals the caller may see, newest first")
async def signals(
    deps: Deps,
    principal: Annotated[Principal, allow("signals.read")],
    source_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    status: SignalStatus | None = None,
    pair: Annotated[str | None, Query(max_length=32, examples=["BTC/USDT"])] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> SignalPage:
    rows, next_id = await deps.catalog.signals(
        principal.user,
        SignalFilter(source_id=source_id, status=status, pair=pair),
        before=cursor_id(cursor),
        limit=limit,
    )
    return SignalPage(
        items=[SignalOut.of(r) for r in rows],
        next_cursor=str(next_id) if next_id is not None else None,
    )


@router.get("/signals/{signal_id}", summary="One signal with its events and outcomes")
async def signal(
    signal_id: int, deps: Deps, principal: Annotated[Principal, allow("signals.read")]
) -> SignalDetailOut:
    detail = await need(deps.signals).detail(principal.user, _id(signal_id))
    posted = await deps.catalog.posted_at(detail.signal.id)
    return SignalDetailOut.of_detail(detail, posted)


@router.get(
    "/signals/{signal_id}/chart.png",
    summary="A signal on its candles with its levels and outcome",
    response_class=Response,
    responses=PNG,
)
async def signal_chart(
    signal_id: int,
    deps: Deps,
    principal: Annotated[Principal, allow("signals.read")],
    theme: ThemeName = "dark",
) -> Response:
    png = await need(deps.tracking).signal_chart(principal.user, _id(signal_id), Theme(theme))
    return Response(png, media_type="image/png")


def _id(value: int) -> int:
    """A row id in range: anything else names nothing (404, as a missing row)."""
    if not 1 <= value < 2**62:
        from core.errors import NotFound

        raise NotFound("No such id.")
    return value
