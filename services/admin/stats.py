"""The admins' ``/stats``: the system at a glance, from the database and this process's
metrics (errors and handling time are since the process started; "today" is the UTC day)."""

from __future__ import annotations

from datetime import datetime, time

from core.clock import Clock, utc_now
from core.db.repositories.admin import AdminRepository
from core.db.session import Database
from core.metrics import Metrics
from services.admin.dto import SystemStats
from services.admin.users import require_admin
from services.dto import UserView


def _start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)


def _update_figures(metrics: Metrics | None) -> tuple[int, int, float | None]:
    """(errors, updates timed, the bucket bound holding the 99th percentile) of this process."""
    if metrics is None:
        return 0, 0, None
    errors, buckets, total = 0, dict[float, float](), 0.0
    for family in metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "tsbot_updates_total" and sample.labels.get("outcome") == "error":
                errors += int(sample.value)
            elif sample.name == "tsbot_update_seconds_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
            elif sample.name == "tsbot_update_seconds_count":
                total += sample.value
    if total == 0:
        return errors, 0, None
    p99 = next((b for b in sorted(buckets) if buckets[b] >= 0.99 * total), None)
    return errors, int(total), p99


class SystemStatsService:
    def __init__(
        self, db: Database, metrics: Metrics | None = None, *, clock: Clock = utc_now
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._clock = clock

    async def stats(self, actor: UserView | None) -> SystemStats:
        require_admin(actor)
        async with self._db.session() as session:
            counts = await AdminRepository(session).system_counts(_start_of_day(self._clock()))
        errors, handled, p99 = _update_figures(self._metrics)
        signals = counts["signals_today"]
        return SystemStats(
            users=counts["users"],
            active_today=counts["active_today"],
            signals_today=signals,
            parser_fallback_rate=(
                (signals - counts["signals_by_rules"]) / signals if signals else None
            ),
            plans_open=counts["plans_open"],
            orders_today=counts["orders_today"],
            errors=errors,
            outbox_pending=counts["outbox_pending"],
            outbox_failed_today=counts["outbox_failed_today"],
            inbox_pending=counts["inbox_pending"],
            inbox_failed=counts["inbox_failed"],
            p99_seconds=p99,
            handled=handled,
        )
