"""Trading: accounts, prices, order plans behind Confirm buttons, placement exactly once, and the
reconciler that settles orders whose outcome is unknown.

Handlers and other services use ``TradingService`` (``service.py``), a facade over one
collaborator per concern:

- ``accounts.py``  which account and exchange client an order goes to; pairs, balances, holdings
- ``sizing.py``    the user's numbers checked and the order sized to the market (no I/O)
- ``plans.py``     plans behind Confirm buttons: prepare, confirm exactly once, cancel
- ``pin.py``       the trading PIN in front of live orders (``PinRequired``)
- ``submit.py``    placement: the order row is committed before the exchange is called
- ``orders.py``    placed orders: open, history, cancel
- ``market.py``    prices of several pairs at once, and the pairs paper trading lists
- ``signal_trading.py``  a followed signal traded for a user, once per (signal, user)
- ``reconcile.py`` settling orders whose outcome is unknown; telling owners about changes
                   (the text through the ``OrderMessages`` port: rendering lives in handlers)
- ``views.py``     ORM rows to frozen views; the client order id scheme

Placement is the one road to an exchange: under the user's lock, the order row is committed as
``pending`` with a deterministic client order id (``tsb-<user>-<token>`` for a confirmed plan,
``tsb-<user>-s<signal>`` for a signal) *before* the exchange is called. A timeout or 5xx leaves
it ``unknown``; it is never sent again. ``reconcile()`` (at start and periodically) looks such
orders up by client order id and settles them; ``notify_changes()`` tells owners about fills and
cancellations through the outbox, once per (order, status).
"""

from __future__ import annotations

from services.trading.market import PaperPairs, PriceBoard
from services.trading.pin import PinRequired
from services.trading.reconcile import OrderMessages
from services.trading.service import TradingService
from services.trading.views import account_view, client_order_id, order_view

__all__ = [
    "OrderMessages",
    "PaperPairs",
    "PinRequired",
    "PriceBoard",
    "TradingService",
    "account_view",
    "client_order_id",
    "order_view",
]
