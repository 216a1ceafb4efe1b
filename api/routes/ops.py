"""Operational endpoints outside ``/api/v1``: ``/healthz`` (the process answers), ``/readyz``
(the database and Redis answer: 503 otherwise) and ``/metrics`` (Prometheus text), the last
only to loopback clients, as the webhook server keeps metrics off the public port."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import Deps
from api.schemas import HealthOut
from core.errors import NotFound

LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})
router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process answers")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    summary="The database and Redis answer (503 when one does not)",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "a backing service is down"}},
)
async def readyz(deps: Deps) -> JSONResponse:
    checks = {name: "ok" if await check() else "down" for name, check in deps.checks.items()}
    ready = all(state == "ok" for state in checks.values())
    body = HealthOut(status="ok" if ready else "down", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics", summary="Prometheus metrics (loopback clients only)", include_in_schema=False
)
async def metrics(request: Request, deps: Deps) -> Response:
    host = request.client.host if request.client is not None else ""
    if deps.metrics is None or host not in LOOPBACK:
        raise NotFound("Not found.")
    return Response(deps.metrics(), media_type="text/plain; version=0.0.4")
