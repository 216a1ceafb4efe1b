"""What /apikey and /apikeys say: the new key (shown once), the list, the revocation."""

from __future__ import annotations

from typing import Final

from handlers import numbers
from handlers.html import escape
from services.api_auth import ApiKeyView, NewApiKey

SCOPES: Final = {
    "read": "read: sees your data, changes nothing",
    "trade": "trade: also places and cancels orders and closes plans",
}


def _scope(view: ApiKeyView) -> str:
    text = SCOPES.get(view.scope.value, view.scope.value)
    if view.live:
        text += "; live orders go out without a Confirm"
    return text


def new_key(made: NewApiKey) -> str:
    return (
        "🔑 <b>Your new API key</b> (shown this once; I keep only a fingerprint):\n\n"
        f"<code>{escape(made.secret)}</code>\n\n"
        f"Scope: {escape(_scope(made.view))}.\n"
        "Exchange it for tokens with <code>POST /api/v1/auth/token</code> "
        '<code>{"api_key": "..."}</code>; the API is described at <code>/docs</code>. '
        "Anyone holding it acts as you: keep it secret, revoke it with /apikeys."
    )


def key_list(keys: list[ApiKeyView]) -> str:
    if not keys:
        return "You have no API keys. Make one with /apikey read or /apikey trade."
    lines = ["<b>Your API keys</b>"]
    for key in keys:
        used = numbers.moment(key.last_used_at) if key.last_used_at else "never"
        lines.append(
            f"#{key.id} <code>{escape(key.prefix)}…</code> {escape(_scope(key))}; "
            f"made {numbers.moment(key.created_at)}, last used {used}"
        )
    lines.append("\nPress a button to revoke a key: its tokens stop working at once.")
    return "\n".join(lines)


def revoke_button(key: ApiKeyView) -> str:
    return f"Revoke #{key.id} {key.prefix}…"


def revoked(key: ApiKeyView) -> str:
    return f"Key #{key.id} {escape(key.prefix)}… is revoked; its tokens stop working now."


PIN_PROMPT: Final = (
    "Send your trading PIN to make a key that trades live without a Confirm (or /cancel). "
    "I delete the message right away."
)
USAGE: Final = (
    "Usage: /apikey read, /apikey trade, or /apikey trade live (needs your trading PIN: its "
    "live orders go out without a Confirm in the chat)."
)
