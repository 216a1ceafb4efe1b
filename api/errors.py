"""One error shape for every refusal: ``{"error": {"code": ..., "message": ...}}``.

The status comes from the project's error tree (core/errors.py): bad input 400, not signed in
401, not allowed 403, not found (also someone else's object) 404, a conflict 409, a request
that does not fit the schema 422, too many requests 429 with ``Retry-After``, a backing
service or exchange away 503 (also a database or Redis failing mid-request, ``core.outages``).
Messages are the errors' ``user_message`` (safe to show); an unexpected error is logged with
its traceback and answered 500 with a reference only.
"""

from __future__ import annotations

import math
from typing import Any, Final

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    AppError,
    Conflict,
    Forbidden,
    NotFound,
    OrderRejected,
    ServiceUnavailable,
    TemporaryExchangeError,
    UserError,
)
from core.outages import is_outage
from services.api_auth import NotAuthenticated

log = structlog.get_logger(__name__)
OUTAGE_RETRY_S: Final = 5


class RateLimited(UserError):
    """The token's request budget is spent for now (429 with ``Retry-After``)."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after_s))
        super().__init__(f"Too many requests; try again in {self.retry_after} s.")


# most specific first: the first class an error is an instance of decides
STATUS: Final[tuple[tuple[type[AppError], int, str], ...]] = (
    (NotAuthenticated, 401, "not_authenticated"),
    (RateLimited, 429, "rate_limited"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (OrderRejected, 400, "order_rejected"),
    (TemporaryExchangeError, 503, "exchange_unavailable"),
    (ServiceUnavailable, 503, "unavailable"),
    (UserError, 400, "bad_request"),
)
HTTP_CODES: Final = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error the API answers."""

    error: ErrorBody


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def status_of(exc: AppError) -> tuple[int, str]:
    for cls, status, code in STATUS:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal"


def describe(exc: AppError) -> dict[str, Any]:
    """The stored form of a refusal (idempotent replies keep it)."""
    status, code = status_of(exc)
    return {"status": status, "error": {"code": code, "message": exc.user_message}}


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    status, code = status_of(exc)
    if status == 500:
        return await _unexpected(request, exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return error_response(status, code, exc.user_message, headers)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "invalid request"))
    return error_response(422, "invalid", f"{where}: {message}" if where else message)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    return error_response(exc.status_code, code, message, dict(exc.headers or {}) or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_outage(exc):
        log.warning("api_backend_unavailable", path=request.url.path, error=type(exc).__name__)
        return error_response(
            503,
            "unavailable",
            "The bot's database or cache is not answering; try again shortly.",
            {"Retry-After": str(OUTAGE_RETRY_S)},
        )
    ref = request.headers.get("x-request-id", "")[:64] or hex(id(request))[2:]
    log.error("api_request_failed", path=request.url.path, ref=ref, exc_info=exc)
    return error_response(500, "internal", f"Something went wrong (ref {ref}).")


def install(app: FastAPI) -> None:
    """Route every error the app can raise to the one shape."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry for the refusals an endpoint may answer."""
    return {
        code: {"model": ErrorOut, "description": HTTP_CODES.get(code, "error")} for code in codes
    }
