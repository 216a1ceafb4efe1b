"""Sign-in: an API key or the Mini App's initData for a token pair; refresh; revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import Deps, bearer, limit, limit_sign_in
from api.errors import refusals
from api.schemas import KeyIn, RefreshIn, RevokedOut, RevokeIn, TokenOut, WebAppIn
from services.api_auth import NotAuthenticated

REFUSALS = refusals(400, 401, 403, 422, 429)
router = APIRouter(
    prefix="/auth", tags=["auth"], responses=REFUSALS, dependencies=[Depends(limit_sign_in)]
)


@router.post("/token", summary="An API key (from /apikey in the chat) for a token pair")
async def token(body: KeyIn, deps: Deps) -> TokenOut:
    return TokenOut.of(await deps.auth.exchange_key(body.api_key))


@router.post("/webapp", summary="The Mini App's Telegram initData for a token pair")
async def webapp(body: WebAppIn, deps: Deps) -> TokenOut:
    return TokenOut.of(await deps.auth.sign_in_webapp(body.init_data))


@router.post(
    "/refresh",
    summary="A refresh token for the next pair (the old one is used up; reusing it "
    "revokes the session)",
)
async def refresh(body: RefreshIn, deps: Deps) -> TokenOut:
    return TokenOut.of(await deps.auth.refresh(body.refresh_token))


@router.post("/revoke", summary="End a session: by its refresh token, or the caller's own")
async def revoke(
    body: RevokeIn,
    deps: Deps,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> RevokedOut:
    if body.refresh_token is not None:
        await deps.auth.revoke_refresh(body.refresh_token)
        return RevokedOut(revoked=True)
    if credentials is None:
        raise NotAuthenticated("Send the refresh token, or the session's access token.")
    principal = await deps.auth.authenticate(credentials.credentials)
    await limit(deps, f"api:{principal.session_id}")
    await deps.auth.revoke_session(principal)
    return RevokedOut(revoked=True)
