"""Serving the Mini App: ``mount_webapp(app)`` puts ``static/`` (index.html, app.js, app.css)
under ``/app/``.

Invariants: the files are package data read through the package (an installed wheel serves
them too); every response carries a Content-Security-Policy that allows only the app's own
files, the API on the same origin and the chart images it turns into ``blob:`` URLs, so a
string that slipped past the page's escaping still could not load or run anything; and the
files are revalidated on every open (``no-cache``), so a deploy is seen at once inside Telegram.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

MOUNT_PATH: Final = "/app"

# Telegram Web (web.telegram.org) shows the app in an iframe; the phone and desktop clients
# use a web view, where frame-ancestors does not apply.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' https://web.telegram.org",
    )
)
HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class WebAppFiles(StaticFiles):
    """The app's static files, each answer with the headers above."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def mount_webapp(app: FastAPI) -> None:
    """Serve the Mini App at ``/app/`` (``/app`` redirects there)."""
    files = WebAppFiles(packages=[("api.webapp", "static")], html=True)
    app.mount(MOUNT_PATH, files, name="webapp")
