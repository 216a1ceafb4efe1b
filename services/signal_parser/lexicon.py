"""Multilingual keyword tables, as data. All entries are lower case; ``rules`` compiles them.

Languages: English, Russian, Chinese (simplified and traditional), Persian, Portuguese, Spanish,
Turkish, Vietnamese, Arabic, French, German, Indonesian. Add words here, not in ``rules``.
"""

from __future__ import annotations

from typing import Final

QUOTES: Final = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDE", "USD", "BTC", "ETH", "BNB", "EUR")
# quotes strong enough to split a lower-case glued symbol such as "btcusdt"
STRONG_QUOTES: Final = ("usdt", "usdc", "busd", "fdusd")

# side words: (word, weight); long/short words outweigh buy/sell words
LONG_WORDS: Final = (
    ("long", 2), ("лонг", 2), ("лонга", 2), ("лонги", 2), ("做多", 2), ("开多", 2), ("開多", 2),
    ("لانگ", 2), ("لونگ", 2), ("largo", 2), ("long pozisyon", 2), ("mua", 1), ("mua vào", 1),
    ("buy", 1), ("покупка", 1), ("покупаем", 1), ("купить", 1), ("покупать", 1), ("买入", 1),
    ("買入", 1), ("خرید", 1), ("شراء", 1), ("compra", 1), ("comprar", 1), ("compre", 1),
    ("alış", 1), ("alis", 1), ("achat", 1), ("acheter", 1), ("kaufen", 1), ("beli", 1),
)
SHORT_WORDS: Final = (
    ("short", 2), ("шорт", 2), ("шорта", 2), ("шорты", 2), ("做空", 2), ("开空", 2), ("開空", 2),
    ("شورت", 2), ("corto", 2), ("short pozisyon", 2), ("bán", 1), ("bán ra", 1),
    ("sell", 1), ("продажа", 1), ("продаем", 1), ("продаём", 1), ("продать", 1), ("卖出", 1),
    ("賣出", 1), ("فروش", 1), ("بيع", 1), ("venda", 1), ("vender", 1), ("venta", 1),
    ("satış", 1), ("satis", 1), ("vente", 1), ("vendre", 1), ("verkaufen", 1), ("jual", 1),
)
# phrases where a side word does not state the side
SIDE_NOT: Final = (
    "short term", "short-term", "long term", "long-term", "long time", "as long as",
    "how long", "no longer", "buy/sell", "buy or sell", "sell order", "short squeeze",
    "long squeeze", "longs get", "лонги получают", "шорты получают", "short covering",
)

ENTRY_WORDS: Final = (
    "entry zone", "entry price", "entry point", "entry range", "entry area", "entry targets",
    "entry target", "entry orders", "entry order", "entry levels", "entry level", "entries",
    "entry", "enter above", "enter below", "enter at", "enter between", "enter around",
    "enter zone", "enter price", "buy zone", "buy range", "buy area", "buy between",
    "buy around", "buy price", "sell zone", "sell range", "sell between", "open price",
    "opening price", "диапазон входа", "зона входа", "точка входа", "цена входа",
    "точки входа", "вход", "входим", "進場位置", "进场位置", "進場點位", "进场点位", "進場", "进场",
    "入場", "入场", "开仓价", "開倉價", "开仓", "開倉", "入场价", "zona de entrada",
    "preço de entrada", "precio de entrada", "entrada", "giriş bölgesi", "giriş fiyatı", "giriş",
    "giris", "điểm vào", "vùng vào", "vào lệnh", "giá vào", "نقطه ورود", "ناحیه ورود", "ورود",
    "قیمت ورود", "دخول", "entrée", "einstieg", "harga masuk",
)
TARGET_WORDS: Final = (
    "take profit targets", "take-profit targets", "take profit target", "take-profit target",
    "take profit orders", "take-profit orders", "take profits", "take-profits", "take profit",
    "take-profit", "takeprofit", "profit targets", "short term targets", "short term target",
    "targets", "target", "tps", "tp", "цели", "цель", "тейки", "тейк", "тп", "目標位", "目标位",
    "目標", "目标", "止盈位", "止盈", "alvos", "alvo", "objetivos", "objetivo", "metas", "meta",
    "hedefler", "hedef", "kar al", "mục tiêu", "chốt lời", "تارگت", "تارگت ها", "هدف", "اهداف",
    "الهدف", "الأهداف", "ziele", "ziel", "objectifs", "objectif",
)
STOP_WORDS: Final = (
    "stop loss", "stop-loss", "stoploss", "stop targets", "stop target", "stop price", "stop",
    "sl", "стоп-лосс", "стоп лосс", "стоплосс", "стоп", "止損位", "止损位", "止損", "止损",
    "stop de perda", "parar perda", "zarar durdur", "zarar kes", "cắt lỗ", "dừng lỗ", "حد ضرر",
    "استاپ لاس", "استاپ", "وقف الخسارة", "arrêt", "stopp",
)
LEVERAGE_WORDS: Final = (
    "leverage", "lev", "плечо", "плечом", "杠杆", "槓桿", "倍数", "alavancagem", "apalancamiento",
    "kaldıraç", "kaldirac", "đòn bẩy", "اهرم", "لوریج", "الرافعة", "hebel", "levier",
)
# add-on / averaging levels are not part of the entry
DCA_WORDS: Final = ("dca", "add more", "averaging", "усреднение", "補倉", "补仓", "加倉", "加仓")
PAIR_LABELS: Final = (
    "pair", "coin", "symbol", "name", "instrument", "asset", "ticker", "token", "currency",
    "монета", "инструмент", "пара", "актив", "币种", "幣種", "交易对", "交易對", "ارز", "نماد",
    "moeda", "par", "moneda", "activo", "sembol", "coin adı", "đồng", "cặp",
)
MARKET_WORDS: Final = (
    "market", "cmp", "current market price", "current price", "now", "instant execution",
    "市價", "市价", "現價", "现价", "по рынку", "рыночн", "по текущей", "a mercado",
    "preço atual", "precio actual", "piyasa", "thị trường", "giá hiện tại", "قیمت فعلی",
    "مارکت", "سعر السوق",
)
FUTURES_WORDS: Final = (
    "futures", "future", "perpetual", "perp", "usdt-m", "usdⓈ-m", "coin-m", "cross", "isolated",
    "leverage", "bybit usdt", "binance futures", "funding", "фандинг", "фандингу", "фьючерс", "фьючи", "фьючерсы", "плечо",
    "合約", "合约", "永续", "永續", "槓桿", "杠杆", "vadeli", "futuros", "hợp đồng", "فیوچرز",
    "فیوچر", "عقود",
)
SPOT_WORDS: Final = ("spot", "спот", "现货", "現貨", "à vista", "اسپات", "giao ngay")

# words that look like tickers but are not
NOT_TICKERS: Final = frozenset(
    ["signal", "signals", "vip", "free", "new", "long", "short", "buy", "sell", "entry", "entries", "target", "targets", "tp", "sl", "stop", "loss", "leverage", "cross", "isolated", "spot", "futures", "future", "perp", "binance", "bybit", "okx", "kucoin", "kraken", "mexc", "bitget", "gate", "exchange", "pair", "coin", "name", "update", "profit", "alert", "crypto", "trade", "trading", "idea", "take", "the", "and", "for", "with", "now", "cmp", "market", "limit", "usdt", "usd", "usdc", "busd", "btcusdt", "period", "direction", "type", "strategy", "note", "risk", "setup", "zone", "price", "close", "closed", "all", "done", "hit", "premium", "channel", "results", "result", "news", "analysis", "chart", "scalp", "swing", "daily", "weekly", "hot", "top", "best", "big", "pump"]
)
