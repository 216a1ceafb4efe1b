"""Names vulture cannot see used, each with the reason (read by ``make lint``'s dead-code check).

Framework hooks (aiogram routes, pydantic validators and ``model_config``, SQLAlchemy type
decorators, ``html.parser`` and aiogram session overrides) are ignored by name or decorator in
``[tool.vulture]``; ORM models are skipped as a file (their columns are read through SQL).
What is left here is used in ways vulture cannot follow.
"""

from api.routes import admin as api_admin
from api.routes import ops as api_ops
from api.routes import reads as api_reads
from api.routes import trading as api_trading
from api.schemas import StatsOut, TokenOut
from api.schemas_reads import SourceDetailOut, SourcePage
from bot.console.session import LocalSession
from bot.features.api import EmbeddedServer
from bot.outbox import OutboxSender
from core.config import Environment
from core.db.base import PK
from core.db.models import Signal
from core.db.models_api import ApiSession
from core.domain import SignalStatus
from handlers.deps import HandlerData
from services.exchange.candles import CandleSeries
from services.exchange.ccxt_throttle import ExactThrottler
from services.exchange.feeds import ReplayFeed
from services.trade_plans.settings import StopPolicy

HandlerData  # the documented type of handler data; aiogram fills it by parameter name
Environment.TEST  # a valid ENVIRONMENT value (the tests run with it)
SignalStatus.EXPIRED  # stored status the tracker sets (issue 10); migrations know it
OutboxSender.wake  # same-process nudge; tests use it instead of waiting for the poll
CandleSeries.between  # market-data API of the replay feed, tested; the tracker reads with it
CandleSeries.resample  # same: coarser timeframes for the tracker and backtests
ReplayFeed.series_for  # same: a pair's whole replay series
LocalSession.stream_content  # BaseSession's abstract signature (chunk_size, raise_for_status)
PK  # the primary-key type of every model (core/db/models.py is skipped, see above)
Signal.closed_at  # written by services, read through SQL and by the tracker
StopPolicy.SIGNAL  # chosen by its value from a follower's settings (FollowSettings.with_value)
api_admin.ban  # FastAPI routes: registered by their @router decorators (issue 12)
api_ops.readyz  # same
api_reads.me  # same
api_trading.place_order  # same
TokenOut.token_type  # response fields: serialised by pydantic, read by API clients
SourcePage.next_cursor  # same (the cursor field of every *Page model)
SourceDetailOut.windows  # same
StatsOut.users_by_role  # same (and the catalog's SystemStats, copied by name)
EmbeddedServer.capture_signals  # uvicorn.Server hook, overridden so the bot keeps the signals
EmbeddedServer.should_exit  # uvicorn.Server's stop flag
ApiSession.revoked_reason  # stored why a session ended (reuse, key, signed_out), read in SQL
ExactThrottler.throttler  # ccxt reads exchange.throttler (set by ccxt_throttle.install)
