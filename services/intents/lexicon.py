"""The words of plain-language commands: verbs, fillers, units, portions, coin names, and the
same words in the other languages the signal parser reads.

The grammar reads English only. Every other language is a table in ``TRANSLATIONS`` mapping its
words (or short phrases) to the English words they stand for ("купить" -> "buy", "по" -> "at",
"satın al" -> "buy"); ``tokens.translate`` rewrites them before the grammar runs, so a rule
never needs to know which language it reads. A translated word is never a coin.

Every English word a rule may skip or read is listed here; a word in none of these sets is a
coin only when it looks like a ticker (``coin``). ``RESERVED`` words are never read as coins, so
"buy the order" cannot name a coin called ORDER. Chinese has no spaces: its table's words are
also the dictionary ``tokens`` cuts runs of Chinese characters with (longest first).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from services.leverage import PERP_WORDS
from services.quotes import DOLLAR_QUOTES, MONEY_WORDS

# "50 usdt" is money in USDT; "50 usd" / "50 dollars" money in the pair's own quote (None)
QUOTE_UNITS: Final[dict[str, str | None]] = {
    **{quote.lower(): quote for quote in DOLLAR_QUOTES if quote not in MONEY_WORDS},
    **{word.lower(): None for word in MONEY_WORDS if word.isalpha()},
}
ALIASES: Final = {
    "bitcoin": "BTC",
    "bitcoins": "BTC",
    "ether": "ETH",
    "ethereum": "ETH",
    "solana": "SOL",
    "dogecoin": "DOGE",
    "ripple": "XRP",
    "cardano": "ADA",
    "litecoin": "LTC",
    "polkadot": "DOT",
}


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


FILLERS: Final = _wordset(
    "please pls plz kindly can could would will you u i id d want wanna like to me the a an some "
    "my of worth now right just go ahead hey hi hello bot ok okay then quickly asap thanks thank "
    "thx pleasee also let lets us do"
)
BUY_WORDS: Final = frozenset({"buy", "purchase", "acquire"})
SELL_WORDS: Final = frozenset({"sell", "dump"})
CLOSE_WORDS: Final = frozenset({"close", "exit"})  # "close my btc position": sell all of it
# perpetual futures: "long" buys, "short" sells; "5x" is a number then LEVERAGE_X
LONG_WORDS: Final = frozenset({"long", "longs"})
SHORT_WORDS: Final = frozenset({"short", "shorts"})
LEVERAGE_X: Final = "x"
LEVERAGE_WORDS: Final = frozenset({"leverage", "lev", "leveraged"})  # "10x leverage"
OPEN_WORDS: Final = frozenset({"open", "enter"})  # "open a 5x long on sol"
ORDER_FILLERS: Final = frozenset({"order", "place", "make", "spot", "worth", "of", "on"})
FRACTION_WORDS: Final = {
    "half": Decimal("0.5"),
    "all": Decimal(1),
    "everything": Decimal(1),
    "entire": Decimal(1),
    "whole": Decimal(1),
    "quarter": Decimal("0.25"),
}
MARKET_WORDS: Final = frozenset({"market", "mkt"})
PRICE_AT_WORDS: Final = frozenset({"at", "limit", "price"})  # "at 3100", "limit 3100"
FOR_WORDS: Final = frozenset({"for", "with", "using"})  # "sol for $50"
PRICE_WORDS: Final = frozenset({"price", "prices", "quote", "rate", "trading", "cost", "costs"})
BALANCE_WORDS: Final = frozenset(
    {"balance", "balances", "portfolio", "wallet", "funds", "holdings", "assets", "bal"}
)
ORDER_WORDS: Final = frozenset({"orders", "order"})
POSITION_WORDS: Final = frozenset({"positions", "position", "pos"})
HISTORY_WORDS: Final = frozenset({"history", "trades", "fills"})
CANCEL_WORDS: Final = frozenset({"cancel", "kill", "remove", "delete"})
EVERY_WORDS: Final = frozenset({"all", "everything", "every"})  # "cancel all"
ORDER_NUMBER_WORDS: Final = frozenset({"number", "no", "nr", "num"})  # "cancel order no 3"
READ_FILLERS: Final = _wordset(
    "what whats is are s show list display get check tell give see view how much many have "
    "own hold current currently open pending active on for in at with all every everything "
    "there any recent last latest trade past"
)
RESERVED: Final = (
    FILLERS
    | BUY_WORDS
    | SELL_WORDS
    | CLOSE_WORDS
    | LONG_WORDS
    | SHORT_WORDS
    | LEVERAGE_WORDS
    | OPEN_WORDS
    | PERP_WORDS
    | frozenset({LEVERAGE_X})
    | ORDER_FILLERS
    | frozenset(FRACTION_WORDS)
    | PRICE_WORDS
    | BALANCE_WORDS
    | ORDER_WORDS
    | POSITION_WORDS
    | HISTORY_WORDS
    | CANCEL_WORDS
    | ORDER_NUMBER_WORDS
    | READ_FILLERS
    | frozenset(QUOTE_UNITS)
    | MARKET_WORDS
    | PRICE_AT_WORDS
    | FOR_WORDS
    | frozenset({"and", "or", "not"})
)
_COIN_RE: Final = re.compile(r"[a-z][a-z0-9]{1,14}(?:[/\-][a-z][a-z0-9]{1,9})?")


def coin(word: str) -> str | None:
    """The symbol a word names ("btc" -> "BTC", "btc-usdt" -> "BTC/USDT"), or None."""
    if word in ALIASES:
        return ALIASES[word]
    if word in RESERVED or not _COIN_RE.fullmatch(word):
        return None
    return word.upper().replace("-", "/")


# English word -> the words of one language that stand for it, space-separated; the words of a
# phrase are joined with "+" ("satın+al"). Lower case, as text is after NFKC and casefold.
LANGUAGE_TABLES: Final[dict[str, dict[str, str]]] = {
    "ru": {
        "buy": "купить купи куплю покупка покупай закупи закупить",
        "sell": "продать продай продам продажа продаю",
        "long": "лонг",
        "short": "шорт",
        "leverage": "плечо плечом плеча",
        "close": "закрыть закрой закройте",
        "balance": "баланс балансы баланса портфель кошелек кошелёк",
        "price": "цена цену цены курс стоит стоимость",
        "orders": "ордер ордера ордеров ордеры заявка заявки заявку заявок",
        "positions": "позиции позиция позицию позиций",
        "history": "история историю истории сделки сделок",
        "cancel": "отменить отмени отмените отмена",
        "show": "покажи покажите показать выведи",
        "open": "открытые открытых активные активных",
        "my": "мой моя моё мое мои мою моих моего мне меня у",
        "have": "есть",
        "what": "какой какая какие каков что",
        "how": "сколько",
        "all": "все всё весь всю всех",
        "half": "половину половина",
        "quarter": "четверть",
        "at": "по",
        "market": "рынку рынок маркет рыночной",
        "limit": "лимит лимитный лимиткой",
        "for": "на за",
        "please": "пожалуйста пж плиз",
        "number": "номер",
        "dollars": "доллар доллара долларов баксов",
        "btc": "биткоин биткоина биткоинов биткоины биток битка",
        "eth": "эфир эфира эфириум эфириума",
        "sol": "солана соланы",
    },
    "es": {
        "buy": "comprar compra compre compro",
        "sell": "vender vende vendo",
        "close": "cerrar cierra cierre",
        "balance": "saldo cartera",
        "price": "precio cotización cotizacion cuesta vale",
        "orders": "órdenes ordenes orden",
        "positions": "posiciones posición posicion",
        "history": "historial",
        "cancel": "cancelar cancela cancele",
        "show": "muestra muéstrame muestrame mostrar ver",
        "open": "abiertas abiertos",
        "my": "mi mis",
        "the": "el la los las un una",
        "of": "de del",
        "what": "cuál cual qué que",
        "how": "cuánto cuanto",
        "is": "es está esta",
        "all": "todo todos todas toda",
        "half": "mitad",
        "market": "mercado",
        "limit": "límite",
        "for": "por con",
        "please": "por+favor",
        "dollars": "dólares dolares",
    },
    "pt": {
        "buy": "comprar compre compra",
        "sell": "vender venda vende",
        "close": "fechar feche",
        "balance": "saldo carteira",
        "price": "preço preco cotação cotacao",
        "orders": "ordem ordens pedidos",
        "positions": "posições posicoes posição posicao",
        "history": "histórico historico",
        "cancel": "cancelar cancele",
        "show": "mostrar mostre ver",
        "open": "abertas abertos",
        "my": "meu minha meus minhas",
        "the": "o os um uma",
        "of": "de da dos das",  # "do" (of the) is an English filler already
        "what": "qual",
        "how": "quanto",
        "is": "é",
        "all": "tudo todas todos",
        "half": "metade",
        "market": "mercado",
        "limit": "limite",
        "for": "por com",
        "please": "por+favor",
    },
    "tr": {  # the verb may come last: "0.1 btc al"
        "buy": "al satın+al alış",
        "sell": "sat satış",
        "close": "kapat",
        "balance": "bakiye bakiyem bakiyemi bakiyesi cüzdan cüzdanım",
        "price": "fiyat fiyatı fiyatını",
        "orders": "emir emri emirler emirlerim emirleri",
        "positions": "pozisyon pozisyonu pozisyonlar pozisyonlarım pozisyonları",
        "history": "geçmiş geçmişi işlemler işlemlerim",
        "cancel": "iptal iptal+et",
        "show": "göster goster",
        "open": "açık",
        "my": "benim",
        "what": "ne nedir",
        "all": "hepsi hepsini tümü tümünü tamamı tamamını",
        "half": "yarısı yarısını yarım",
        "market": "piyasa piyasadan",
        "please": "lütfen lutfen",
        "dollars": "dolar",
    },
    "zh": {  # no spaces in Chinese: these words also cut its runs of characters
        "buy": "买 买入 买进 购买 買 買入 買進 購買",
        "sell": "卖 卖出 賣 賣出",
        "long": "做多 开多 開多",
        "short": "做空 开空 開空",
        "x": "倍",
        "leverage": "杠杆 槓桿",
        "close": "平仓 平倉",
        "balance": "余额 餘額 资产 資產",
        "price": "价格 價格 多少钱 多少錢 币价 幣價",
        "orders": "订单 訂單 挂单 掛單 委托 委託",
        "positions": "持仓 持倉 仓位 倉位",
        "history": "历史 歷史 记录 記錄",
        "cancel": "取消 撤单 撤單 撤销 撤銷",
        "show": "查看 显示 顯示 看看",
        "my": "我的 我",
        "of": "的 个 個",
        "is": "是",
        "how": "多少",
        "all": "全部 所有",
        "half": "一半",
        "market": "市价 市價",
        "limit": "限价 限價",
        "please": "请 請",
        "dollars": "美元",
        "btc": "比特币 比特幣",
        "eth": "以太坊 以太币 以太幣",
    },
    "fr": {
        "buy": "acheter achète achete achat",
        "sell": "vendre vends vente",
        "balance": "solde",
        "price": "prix cours",
        "orders": "ordres",
        "cancel": "annuler annule",
        "history": "historique",
        "my": "mon ma mes",
        "the": "le les",
        "of": "du des",
        "at": "à",
        "half": "moitié moitie",
        "all": "tout tous",
    },
    "de": {
        "buy": "kaufen kaufe kauf",
        "sell": "verkaufen verkaufe verkauf",
        "balance": "kontostand guthaben",
        "price": "preis kurs",
        "orders": "aufträge auftrag",
        "positions": "positionen",
        "cancel": "stornieren storniere abbrechen",
        "history": "verlauf historie",
        "my": "mein meine meinen meinem",
        "the": "der die den",
        "of": "von",
        "at": "zu",
        "half": "hälfte",
        "all": "alle alles",
    },
    "id": {
        "buy": "beli",
        "sell": "jual",
        "balance": "saldo",
        "price": "harga",
        "my": "saya",
    },
    "vi": {
        "buy": "mua",
        "sell": "bán",
        "balance": "số+dư",
        "price": "giá",
        "my": "của+tôi",
    },
    "fa": {
        "buy": "خرید بخر",
        "sell": "فروش بفروش",
        "balance": "موجودی",
        "price": "قیمت",
        "my": "من",
    },
    "ar": {
        "buy": "شراء اشتر",
        "sell": "بيع بع",
        "balance": "رصيد الرصيد رصيدي",
        "price": "سعر السعر",
    },
}


def _translations() -> dict[tuple[str, ...], tuple[str, ...]]:
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for words in LANGUAGE_TABLES.values():
        for english, foreign in words.items():
            for phrase in foreign.split():
                table[tuple(phrase.split("+"))] = tuple(english.split())
    return table


# ("satın", "al") -> ("buy",): every language's words and phrases, ready for ``translate``
TRANSLATIONS: Final = _translations()
LONGEST_PHRASE: Final = max(len(key) for key in TRANSLATIONS)
CHINESE_WORDS: Final = frozenset(" ".join(LANGUAGE_TABLES["zh"].values()).split())
