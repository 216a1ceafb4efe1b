"""The webhook's optional IP allowlist (T2): who is calling, and may they.

Invariants:
- Off unless ``WEBHOOK_ALLOWED_IPS`` lists something; the secret token check (bot/runners.py)
  runs whatever this says, so the allowlist only ever refuses more.
- The client is the TCP peer, unless the peer is a trusted proxy
  (``WEBHOOK_TRUSTED_PROXIES``). Then it is the right-most ``X-Forwarded-For`` entry that is
  not itself a trusted proxy. Proxies append to the header (nginx's
  ``$proxy_add_x_forwarded_for``), so only entries to the right of the last untrusted hop were
  written by proxies we trust. The left-most entry is whatever the client sent: never read.
- An entry that is not an address where the client should be refuses the request (unknown
  client), never falls back to another entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import structlog
from aiohttp import hdrs, web

from core.config_webhook_ip import WebhookIpSettings

log = structlog.get_logger(__name__)

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def parse_address(text: str) -> Address | None:
    """An address from a peer or an ``X-Forwarded-For`` entry (``1.2.3.4``, ``1.2.3.4:80``,
    ``[::1]:80``, ``::1``); None when it is none of those."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def _within(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]
) -> Address | None:
    """The caller's address, read as the module docstring says; None when unknown."""
    client = parse_address(peer or "")
    if client is None or not _within(client, proxies):
        return client  # a direct caller: its X-Forwarded-For is its own word, ignored
    hops = [entry for header in forwarded_for for entry in header.split(",") if entry.strip()]
    for entry in reversed(hops):
        client = parse_address(entry)
        if client is None or not _within(client, proxies):
            return client
    return client  # every hop a trusted proxy: the left-most of them called


class IpAllowlist:
    """Answers whether a webhook request comes from an allowed address."""

    def __init__(self, settings: WebhookIpSettings) -> None:
        self._allowed: list[Network] = list(settings.allowed_ips)
        self._proxies: list[Network] = list(settings.trusted_proxies)

    def allows(self, request: web.Request) -> bool:
        """True when the filter is off or the client is in the allowlist (logs a refusal)."""
        if not self._allowed:
            return True
        forwarded = request.headers.getall(hdrs.X_FORWARDED_FOR, [])
        client = client_address(request.remote, forwarded, self._proxies)
        if client is not None and _within(client, self._allowed):
            return True
        log.warning("webhook_ip_refused", client=str(client), peer=request.remote)
        return False
