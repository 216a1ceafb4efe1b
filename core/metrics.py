"""Prometheus metrics, prefixed ``tsbot_``, in a registry owned by the app (no globals).

Every metric here is recorded somewhere; one that nothing records would read as a reassuring
zero on a dashboard, so it does not get declared until something counts it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "tsbot_updates", "Updates processed", ["type", "outcome"], registry=r
        )
        self.update_seconds = Histogram(
            "tsbot_update_seconds",
            "Time to process one update",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.inbox_duplicates = Counter(
            "tsbot_inbox_duplicates", "Updates dropped as redeliveries", registry=r
        )
        self.inbox_recovered = Counter(
            "tsbot_inbox_recovered", "Unfinished updates re-run after their lease", registry=r
        )
        # SIGNAL_WORKER: handed_off / push_failed / taken_back (receiving process; taken_back:
        # run by its failover pass, no worker took them in time); handled / failed /
        # taken_elsewhere (the worker; taken_elsewhere: recovery or another worker was first)
        self.signal_posts = Counter(
            "tsbot_signal_worker_posts",
            "Channel posts through the signal worker",
            ["outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "tsbot_rate_limited", "Updates refused by the per-user rate limit", registry=r
        )
        self.rbac_denied = Counter(
            "tsbot_rbac_denied", "Handler calls refused by role", ["role"], registry=r
        )
        self.outbox_sent = Counter(
            "tsbot_outbox_sent", "Outbox messages by outcome", ["outcome"], registry=r
        )
        self.outbox_pending = Gauge("tsbot_outbox_pending", "Outbox messages waiting", registry=r)
        self.orders = Counter(
            "tsbot_orders", "Orders by exchange and status", ["exchange", "status"], registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
