"""``AdminService``: the admin tools as one object in workflow data (``admin_service``), so
handlers, the presence middleware and the REST API reach them by one name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.clock import Clock, utc_now
from core.config_access import AccessSettings
from core.db.session import Database
from core.metrics import Metrics
from services.admin.audit import AuditService
from services.admin.broadcast import BroadcastService
from services.admin.sources import AdminSourceService
from services.admin.stats import SystemStatsService
from services.admin.users import AdminUserService
from services.sources import SourceService
from services.users import UserService


@dataclass(frozen=True, slots=True)
class AdminService:
    users: AdminUserService
    audit: AuditService
    broadcasts: BroadcastService
    stats: SystemStatsService
    sources: AdminSourceService

    @classmethod
    def build(
        cls,
        db: Database,
        users: UserService,
        sources: SourceService,
        *,
        access: AccessSettings | None = None,
        admin_ids: Iterable[int] = (),
        metrics: Metrics | None = None,
        clock: Clock = utc_now,
    ) -> AdminService:
        return cls(
            users=AdminUserService(db, users, access, admin_ids=admin_ids, clock=clock),
            audit=AuditService(db),
            broadcasts=BroadcastService(db, clock=clock),
            stats=SystemStatsService(db, metrics, clock=clock),
            sources=AdminSourceService(db, sources),
        )
