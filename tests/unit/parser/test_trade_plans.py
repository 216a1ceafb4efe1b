"""Issue 11, batches 6-7: trade plans written as tables, one field per line, pipes or prose, in
many languages. One short post per kind of writing, through ``parse``; each expected value
follows the corpus conventions (``/work/shared/corpus/README.md``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.domain import SignalKind
from services.signal_parser import parse
from tests.unit.parser.cases import D, assert_entry

THRESHOLD = 0.6


PLAN_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "no_entry_price_reads_null",
        "#ICNT SHORT SETUP\nTarget 1: $0.2045\nTarget 2: $0.2015\nSTOP : $0.2190",
        {"entry": None, "targets": D("0.2045", "0.2015"), "stop_loss": Decimal("0.2190")},
    ),
    (
        "ratio_is_not_a_target",
        "#ETH/USDT LONG\nEntry: 4515\nTP1: 4820\nTP2: 4980\nSL: 4340\n"
        "Risk/Reward (to TP2): ~2.67:1",
        {"targets": D("4820", "4980")},
    ),
    (
        "duration_is_not_a_price",
        "#ETH/USDT LONG\nEntry: wait 4 hours above $4,500\nTP: 4820\nSL: 4340",
        {"entry": D("4500")},
    ),
    (
        "pt_table_bare_price_beats_a_sentence",
        "| Ativo | ETH/USD |\n| Posição | Longa |\n"
        "| Estratégia de Entrada | Entrada Condicional: aguardar um fechamento acima de $4,500 |\n"
        "| Preço de Entrada | $4,515 |\n| Stop Loss | $4,340 |\n| Take Profit 1 (TP1) | $4,820 |",
        {"side": "long", "entry": D("4515"), "targets": D("4820"), "stop_loss": Decimal(4340)},
    ),
    (
        "zh_table_long_side_and_entry",
        "| 資產 | ETH/USD 永續期貨 |\n| 頭寸 | 多頭 |\n"
        "| 入場策略 | 條件入場:等待4小時蠟燭在$4,500阻力位以上收盤,然後入場。 |\n"
        "| 入場價格 | $4,515 |\n| 止損 | $4,340 |\n| 止盈1(TP1) | $4,820 |",
        {"side": "long", "entry": D("4515"), "stop_loss": Decimal(4340)},
    ),
    (
        "ticker_in_a_sentence",
        "DOGE is showing clear signs of exhaustion.\nShort Entry: $0.13650 - $0.13740\n"
        "Take Profit 1: $0.13550\nStop Loss: $0.13860",
        {"base": "DOGE", "side": "short", "entry": D("0.13650", "0.13740")},
    ),
    (
        "pair_by_names",
        "Bitcoin / TetherUS\nShort\nEntry Zone: 26,910 - 25,500\nStop Loss: 28,880\n"
        "Take Profit: 20,690",
        {"base": "BTC", "quote": "USDT", "entry": D("25500", "26910")},
    ),
    (
        "coin_by_name_in_russian",
        "Эфириум продолжает двигаться вниз.\nТорговые рекомендации: Sell 3016.10, "
        "takeprofit 2858.42.",
        {"base": "ETH", "side": "short", "entry": D("3016.10"), "targets": D("2858.42")},
    ),
    (
        "now_in_the_analysis_is_not_a_market_entry",
        "$DOGE is now showing signs of weakness as selling volume rises.\n"
        "Trade Setup (Short Signal):\nEntry: 0.2490 - 0.2520\nTarget 1: 0.2430\n"
        "Stop Loss: 0.2570",
        {"entry": D("0.2490", "0.2520")},
    ),
    (
        "pipe_separated_fields",
        "Short position with 5-7 times leverage at $123-125 in $SOL.\n"
        "Direction: Short|Leverage: 5-7 times|Entry range: $123-125 (current price can open "
        "short at market price)|Stop loss: $128 (3.2% space)|Primary target: $117|"
        "Extended target: $112 (potential decline of 9.7%)|Risk-reward ratio 1.75, holding "
        "time 12-24 hours",
        {
            "side": "short",
            "entry": D("123", "125"),
            "targets": D("117", "112"),
            "stop_loss": Decimal(128),
            "leverage": Decimal(5),
        },
    ),
    (
        "side_beside_the_entry_beats_the_analysis",
        "$SOL: short positions are being liquidated, bearish bets squeezed.\n"
        "Entry Zone (Buy Area): $213 - $216\nTP1: $220\nTP2: $228\nStop Loss (SL): $209",
        {"side": "long", "entry": D("213", "216")},
    ),
    (
        "setup_heading_gives_the_side",
        "$BTC holds a bullish structure above $120K.\nTrade Setup (Short-Term Bearish Bias):\n"
        "Entry: $122,000-$123,000\nSL: $124,200\nTP: $118,000 (TP1) / $115,000 (TP2)\n"
        "Bullish Invalidation: a close above $124,500",
        {"side": "short", "targets": D("118000", "115000"), "stop_loss": Decimal(124200)},
    ),
    (
        "risk_reward_block_repeats_the_targets",
        "BTC Short Trade Setup\nEntry Zone: $122,400 - $122,600\nStop Loss: $123,200\n"
        "TP1: $121,800\nTP2: $121,400\nTP3: $121,200\nRisk-Reward Overview\nEntry (Avg)\nSL\n"
        "TP1\nTP2\nTP3\n$122,500\n$123,200\n$121,800\n$121,400\n$121,200\nRisk: $700\n"
        "• TP1: +$700 → 1:1\n• TP2: +$1,100 → 1.57R",
        {"targets": D("121800", "121400", "121200"), "stop_loss": Decimal(123200)},
    ),
    (
        "market_word_after_one_price",
        "EUR/USD\nDirection @ Bearish\nEntry @ 1.09150 (market price)\nStop loss @ 1.09950\n"
        "1st target @ 1.08400",
        {"entry": "market"},
    ),
    (
        "it_field_per_line",
        "Attività\nETH/USDT Futures Perpetui\nPosizione\nLong\nZona di Prezzo di Entrata\n"
        "$4,450 - $4,550\nTake Profit 1 (TP1)\n$4,760\nTake Profit 2 (TP2)\n$4,950\n"
        "Stop Loss (SL)\n$4,240\nLeva Raccomandata\n5x - 8x",
        {
            "side": "long",
            "entry": D("4450", "4550"),
            "targets": D("4760", "4950"),
            "stop_loss": Decimal(4240),
            "leverage": Decimal(5),
        },
    ),
    (
        "dca_and_average_entries_are_not_the_entry",
        "#ARB/USDT LONG\nInitial Entry (1% capital): 10.05 USDT\nDCA Entry (1% capital): 9.72 USDT"
        "\nAvg Entry: ~9.89 USDT\nStop Loss: 8.88 USDT\nTP1: 10.38 USDT",
        {"entry": D("10.05"), "stop_loss": Decimal("8.88")},
    ),
    (
        "vi_no_coin_plan_with_a_probability",
        "TÍN HIỆU NHANH\n• Điểm vào: 1.10\n• Cắt lỗ: 0.865\n• TP1: 1.20\n• TP2: 1.32\n"
        "• Động lực duy trì vượt TP1: ≈ 40-45% xác suất đạt TP2",
        {"base": None, "entry": D("1.10"), "targets": D("1.20", "1.32")},
    ),
    (
        "vi_main_entry",
        "LOẠI GIAO DỊCH: Bán (Short)\nĐòn bẩy: 70x\nNhập Chính: 10500 USDT\nNhập DCA: 10680 USDT"
        "\nMức Nhập Trung Bình (ước tính): 10590 USDT\nDừng lỗ: 10860 USDT\nTP1: 10400 USDT",
        {"side": "short", "entry": D("10500"), "stop_loss": Decimal(10860)},
    ),
    (
        "pt_prose_sections_and_summary",
        "Vamos analisar o $ETH para uma operação de venda.\n"
        "1. **Ponto de Entrada**:\n- Entre na operação de venda pelo preço atual de $2.576,77.\n"
        "2. **Lucro (TP)**:\n- Alvo no suporte recente em $2.309,36. Isso dá um lucro de "
        "$2.576,77 - $2.309,36 = $267,41 por ETH.\n"
        "3. **Parada de Perda (SL)**:\n- Defina a parada de perda acima da máxima recente em "
        "$2.804,39, um pouco mais alta em $2.850,00.\n"
        "### Resumo:\n- **Ponto de Entrada**: $2.576,77 (venda)\n- **Parada de Perda**: $2.850,00",
        {
            "side": "short",
            "entry": D("2576.77"),
            "targets": D("2309.36"),
            "stop_loss": Decimal("2850.00"),
        },
    ),
    (
        "it_prose_with_dot_thousands",
        "$ETH sembra che stia cercando di girare al rialzo dopo un rimbalzo dal minimo intorno "
        "a 2.787, e la MA(99) si trova vicino a 3.111. Per un piano long pulito, guarderei di "
        "acquistare nell'area 3.000-3.025 (catturando il retest). Il primo posto dove "
        "realizzerei profitti è intorno a 3.110. Il prossimo obiettivo al rialzo si trova vicino "
        "a 3.185. Terrei la posizione protetta con uno stop intorno a 2.910, perché se il prezzo "
        "perde quel supporto il rimbalzo sta svanendo.",
        {
            "side": "long",
            "entry": D("3000", "3025"),
            "targets": D("3110", "3185"),
            "stop_loss": Decimal(2910),
        },
    ),
    (
        "label_phrase_stays_on_its_line_and_emoji_names",
        "Symbol chart : EUR/ NZD\nType  chart_with_upwards_trend : Modify buy\n"
        "Price  checkered_flag : 1.6780\nTp 1  white_check_mark : 1.6850\nSL  x : 1.6710",
        {"entry": D("1.6780"), "targets": D("1.6850"), "stop_loss": Decimal("1.6710")},
    ),
    (
        "pt_table_short_position",
        "| Ativo | SOL/USDT |\n| Posição | Vendida |\n| Preço de Entrada | $182 |\n"
        "| Stop Loss | $190 |\n| Alvo 1 | $170 |\n| Alvo 2 | $160 |",
        {"side": "short", "entry": D("182"), "targets": D("170", "160")},
    ),
    (
        "zh_table_short",
        "| 資產 | BTC/USDT 永續 |\n| 頭寸 | 空頭 |\n| 入場價格 | $98,500 |\n| 止損 | $100,200 |\n"
        "| 止盈1(TP1) | $95,000 |\n| 止盈2(TP2) | $93,000 |",
        {"side": "short", "entry": D("98500"), "targets": D("95000", "93000")},
    ),
    (
        "it_prose_short_with_objectives",
        "Il prezzo di $SOL è sceso sotto il supporto. Per uno short guarderei di vendere "
        "nell'area 182-185. Il primo obiettivo è 170, il secondo obiettivo è 162. Stop sopra "
        "192, perché se il prezzo torna sopra quel livello il setup è invalidato.",
        {
            "side": "short",
            "entry": D("182", "185"),
            "targets": D("170", "162"),
            "stop_loss": Decimal(192),
        },
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES]
)
def test_trade_plan_writing(text: str, want: dict[str, Any]) -> None:
    assert_entry(text, want)


@pytest.mark.parametrize(
    "text",
    ["devo abrir $SOL posição longa", "should I open a $SOL long?"],
)
def test_a_question_about_opening_is_not_an_entry(text: str) -> None:
    assert parse(text).kind is not SignalKind.ENTRY


@pytest.mark.parametrize(
    "text",
    [
        # an all-caps heading in Vietnamese holds no coin ("LOẠI" is not LO, "GIAO" not a coin)
        "LOẠI GIAO DỊCH: Bán (Short)\nKHUNG THỜI GIAN: 4H",
        # "open interest" is not an open verb
        "Harga Bitcoin naik lagi dan kami melihat peningkatan open interest, posisi short dan "
        "long; gunakan stop-loss.",
    ],
)
def test_headings_and_commentary_name_no_trade(text: str) -> None:
    result = parse(text)
    assert result.kind is not SignalKind.ENTRY
    assert result.base is None


def test_a_plan_without_a_coin_stays_below_threshold() -> None:
    result = parse("• Điểm vào: 1.10\n• Cắt lỗ: 0.865\n• TP1: 1.20\n• TP2: 1.32")
    assert result.kind is SignalKind.ENTRY and result.base is None
    assert result.confidence < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        # a guide's example levels
        "Cách Tôi Sử Dụng TP/SL:\n• Điểm vào: $2.75\n• TP1: $2.88\n• SL: $2.70",
        # two scenarios and no coin: no single call
        "Cenário A - VENDA:\nEntrada: 0.402 - 0.408\nStop-Loss: 0.414\nTP1: 0.385\n"
        "Cenário B - COMPRA:\nEntrada: 0.360 - 0.352\nStop-Loss: 0.342\nTP1: 0.382",
        # an entry price read out of a hindsight sentence, nothing else
        "Un trader venderebbe XRP: 1. Entrata (Il Segnale di Vendita): il punto di ingresso "
        "ideale per uno short sarebbe stato a ~3.1053.",
    ],
)
def test_guides_scenarios_and_hindsight_are_not_entries(text: str) -> None:
    assert parse(text).kind is not SignalKind.ENTRY


def test_a_long_guide_with_a_weak_report_word_is_no_update() -> None:
    guide = (
        "1. Открытие шорт-позиции\n— На бирже фьючерсов вы берёте контракт на продажу актива, "
        "которого у вас физически нет.\n— Если цена падает после открытия позиции, вы "
        "зарабатываете на разнице.\n2. Закрытие позиции\n— Чтобы закрыть шорт, вы покупаете "
        "контракт обратно."
    )
    assert parse(guide).kind is SignalKind.OTHER
    assert parse("Закрываем позицию по BTC").kind is SignalKind.UPDATE


def test_dot_decimals_stay_decimals_in_english_and_with_other_decimals() -> None:
    english = parse("#XRP/USDT LONG\nEntry: 3.135\nTP1: 3.160\nTP2: 3.210\nSL: 3.080")
    assert english.entry == (Decimal("3.135"),)
    # Italian, but a decimal of two digits says the dot is a decimal point
    mixed = parse(
        "$ARB per un piano long: acquistare il token che sono per il prezzo di entrata, "
        "della zona nel grafico.\nEntrata: 1.250\nObiettivo: 1.32\nStop: 1.180"
    )
    assert mixed.entry == (Decimal("1.250"),)
