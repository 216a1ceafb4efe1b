# ruff: noqa: E501 - posts are kept verbatim, one literal each
"""Posts quoted in public repositories, issues and docs, in formats the dev corpus lacks.

Each case cites where the post was found; expected fields follow the corpus label conventions
(``/work/shared/corpus/README.md``). Entry posts check every field, updates check the type,
target index and coin, other posts only the kind.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.signal_parser import parse
from services.signal_parser.cli import to_output_dict


def D(value: str) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(value)


CASES: list[tuple[str, str, dict[str, Any]]] = [
    # CryptobotCZ/crypto-signals-analysis:src/8bit-algoz_test.ts
    (
        "8bit_symbol_hot",
        "👽 8BIT SIGNAL 👽\n\nSymbol: ️#HOT/USDT ️️\nLeverage: 5X\nEntry Zone: 0.00131-0.00123\nTake Profit Targets:\n1) 0.001333 - 12.5%\n2) 0.00134 - 12.5%\n3) 0.001353 - 12.5%\n4) 0.001366 - 12.5%\n5) 0.00138 - 12.5%\n6) 0.001393 - 12.5%\n7) 0.001406 - 12.5%\n8) 0.001419 - 12.5%\nStop Targets:\n1) 0.00120\n\nCopy signals and make money from trading with:\n@Eight_Bit_Algoz ™ 👾👾",
        {
            "kind": "entry",
            "base": "HOT",
            "quote": "USDT",
            "side": "long",  # inferred from the levels (issue 11)
            "market": "futures",
            "entry": [D("0.00123"), D("0.00131")],
            "targets": [
                D("0.001333"),
                D("0.00134"),
                D("0.001353"),
                D("0.001366"),
                D("0.00138"),
                D("0.001393"),
                D("0.001406"),
                D("0.001419"),
            ],
            "stop_loss": D("0.00120"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/8bit-algoz_test.ts
    (
        "8bit_spot_percent_stop",
        "⚡️⚡️ #MDX ⚡️⚡\nClient: 8bit Algoz️\nTrade Type: Spot\nEntry Zone: 397.683 - 386.1\n\nTake Profit Targets:\n1) 480 - 16.667%\n2) 540 - 16.667%\n3) 600 - 16.667%\n4) 700 - 16.667%\n5) 800 - 16.667%\n6) 1000 - 16.667%\n\nStop Targets:\n1) -7%",
        {
            "kind": "entry",
            "base": "MDX",
            "quote": None,
            "side": None,
            "market": "spot",
            "entry": [D("386.1"), D("397.683")],
            "targets": [D("480"), D("540"), D("600"), D("700"), D("800"), D("1000")],
            "stop_loss": None,
            "leverage": None,
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_entry_targets_list",
        "FTM/USDT (Long)\nLeverage: 3.0X\n\nEntry Targets:\n1) 0.4315\n2) 0.3879\n\nTake-Profit Targets:\n1) 0.4527\n2) 0.47\n3) 0.52\n\nStop Targets:\n1) 0.37",
        {
            "kind": "entry",
            "base": "FTM",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.3879"), D("0.4315")],
            "targets": [D("0.4527"), D("0.47"), D("0.52")],
            "stop_loss": D("0.37"),
            "leverage": D("3.0"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_flat_glued_caps",
        "Coin: DYDX/USDT LONGLEVERAGE:2xEntry: 2.403 - 2.911Target: 2.990 - 3.116 - 3.673 - 4.2Stoploss: 2.264",
        {
            "kind": "entry",
            "base": "DYDX",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("2.403"), D("2.911")],
            "targets": [D("2.990"), D("3.116"), D("3.673"), D("4.2")],
            "stop_loss": D("2.264"),
            "leverage": D("2"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_flat_target_n",
        "AVAXUSDT SHORTLeverage: Cross 50xEntry: 11.570Target 1: 11.508Target 2: 11.392Target 3: 11.194Stoploss: 11.833",
        {
            "kind": "entry",
            "base": "AVAX",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("11.570")],
            "targets": [D("11.508"), D("11.392"), D("11.194")],
            "stop_loss": D("11.833"),
            "leverage": D("50"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_flat_no_side",
        "UNI/USDTLeverage:10x Entry: 6.083 - 5.700$Target: 6.200 - 6.325 - 6.600 - 6.900 - 7.200  - 7.600$Stoploss: 5.500$",
        {
            "kind": "entry",
            "base": "UNI",
            "quote": "USDT",
            "side": "long",  # inferred from the levels (issue 11)
            "market": "futures",
            "entry": [D("5.700"), D("6.083")],
            "targets": [D("6.200"), D("6.325"), D("6.600"), D("6.900"), D("7.200"), D("7.600")],
            "stop_loss": D("5.500"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_coin_name_paren_side",
        "Coin Name: #APE/USDT (SHORT) Entry: 3.92Leverage: cross 3xTargets:3.8908 - 3.8415 - 3.7430 - 3.5460 - 3.3490Stoploss: 4.1370",
        {
            "kind": "entry",
            "base": "APE",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("3.92")],
            "targets": [D("3.8908"), D("3.8415"), D("3.7430"), D("3.5460"), D("3.3490")],
            "stop_loss": D("4.1370"),
            "leverage": D("3"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_en_dash_flat",
        "AVAX/USDT Leverage 10xEntry: 12.4 – 11.51Targets: 12.7 – 13.35 – 14.01 – 18.00Stoploss: 11.3",
        {
            "kind": "entry",
            "base": "AVAX",
            "quote": "USDT",
            "side": "long",  # inferred from the levels (issue 11)
            "market": "futures",
            "entry": [D("11.51"), D("12.4")],
            "targets": [D("12.7"), D("13.35"), D("14.01"), D("18.00")],
            "stop_loss": D("11.3"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_trailing_config",
        "AVAXUSDT SHORTLeverage: Cross 20xEntry: 58.57Targets: 56.66 - 56.58 - 54.45SL: 61.62Trailing Configuration:Stop: Breakeven -  Trigger: Target (2)",
        {
            "kind": "entry",
            "base": "AVAX",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("58.57")],
            "targets": [D("56.66"), D("56.58"), D("54.45")],
            "stop_loss": D("61.62"),
            "leverage": D("20"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/altsignals_test.ts
    (
        "altsignals_multiline",
        "THETA/USDT LONG\nLeverage : 5x\nENTRY: 1.062 - 0.963\nTARGETS: 1.124 - 1.281 - 1.629 - 2.5\nSL: 0.906",
        {
            "kind": "entry",
            "base": "THETA",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.963"), D("1.062")],
            "targets": [D("1.124"), D("1.281"), D("1.629"), D("2.5")],
            "stop_loss": D("0.906"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/future-bulls_tests.ts
    (
        "future_bulls_short",
        "💲NEW VIP SIGNAL💲\n\n🔴 Short : BTC/USDT\n\nLEVERAGE Isolated 20X\n\nENTRY 29650 - 29800\nTP1 29330\nTP2 29060\nTP3 28750\nTP4 28450\n❌ STOP 30050\n\n(Use Trailing SL when in profit)\nBy @Future_Bull",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("29650"), D("29800")],
            "targets": [D("29330"), D("29060"), D("28750"), D("28450")],
            "stop_loss": D("30050"),
            "leverage": D("20"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/future-bulls_tests.ts
    (
        "future_bulls_sell_spaced_pair",
        "💲NEW VIP SIGNAL💲\n\n🔴 SELL : SOL /USDT\n\nLEVERAGE Isolated 10X\n\nENTRY 18.020-18.150\nTP1 17.790\nTP2 17.450\nTP3 17.100\nTP4 16.700\n❌ STOP 18.400\n\n\n(Use Trailing SL when in profit)\nBy @future_bull",
        {
            "kind": "entry",
            "base": "SOL",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("18.020"), D("18.150")],
            "targets": [D("17.790"), D("17.450"), D("17.100"), D("16.700")],
            "stop_loss": D("18.400"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/wallstreet_queen_test.ts
    (
        "wallstreet_queen_setup",
        "Coin: #GMT/USDT\n\nShort Set-up\n\nLev: 5-10x\n\n#GMT already Breaked down the Descending Traingle and looking bearsish.\n\nEntry: 0.4222 - 0.4350$(Enter partially)\n\nTarget: 0.4150 - 0.4070 - 0.4000 - 0.3900 - 0.3800 - 0.3700$(Short term)\n\nStoploss: 0.4450$",
        {
            "kind": "entry",
            "base": "GMT",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("0.4222"), D("0.4350")],
            "targets": [
                D("0.4150"),
                D("0.4070"),
                D("0.4000"),
                D("0.3900"),
                D("0.3800"),
                D("0.3700"),
            ],
            "stop_loss": D("0.4450"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/wallstreet_crypto_trading_test.ts
    (
        "wallstreet_trading_consider_buying",
        "Consider Buying some #EGLD here For Short term.\n\nLooking Bullish here after break. Can show some Bullish move in Short term.\n\nEntry: Around 41.45$ - 40.50$\n\nTargets: 42.20$,43.00$,43.80$,44.80$,46.00$,48.00$\n\nStoploss: 39.50$\n\nLeverage: 5x-10x\n\nDo manage your risk well as market is uncertain this days.",
        {
            "kind": "entry",
            "base": "EGLD",
            "quote": None,
            "side": "long",
            "market": "futures",
            "entry": [D("40.50"), D("41.45")],
            "targets": [D("42.20"), D("43.00"), D("43.80"), D("44.80"), D("46.00"), D("48.00")],
            "stop_loss": D("39.50"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/wallstreet_crypto_trading_test.ts
    (
        "wallstreet_trading_consider_selling",
        "Consider Selling some #LIT here For Short term.\n\nLooking Bearsish here after break. Can show some Bearsish move in Short term.\n\nEntry: Around 1.090$ - 1.140$\n\nTargets: 1.060$,1.040$,1.020$,1.000$,0.950$,0.910$,0.880$,0.850$\n\nStoploss: 1.180$\n\nLeverage: 5x-10x\n\nDo manage your risk well as market is uncertain this days.",
        {
            "kind": "entry",
            "base": "LIT",
            "quote": None,
            "side": "short",
            "market": "futures",
            "entry": [D("1.090"), D("1.140")],
            "targets": [
                D("1.060"),
                D("1.040"),
                D("1.020"),
                D("1.000"),
                D("0.950"),
                D("0.910"),
                D("0.880"),
                D("0.850"),
            ],
            "stop_loss": D("1.180"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/cryptokey_test.ts
    (
        "cryptokey_emoji_lines",
        "🟥 HIGH/USDT SHORT\n⏱ 15m Mid Term\n👉 Entry : 1.113 - 1.131\n\n⏳ Signal details:\n🎯 Target 1 : 1.10187\n🎯 Target 2 : 1.096305\n🎯 Target 3 : 1.09074\n🎯 Target 4 : 1.07961\n_____\n❌ Stoploss : 1.163085\n💡 Leverage : 10x cross",
        {
            "kind": "entry",
            "base": "HIGH",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("1.113"), D("1.131")],
            "targets": [D("1.10187"), D("1.096305"), D("1.09074"), D("1.07961")],
            "stop_loss": D("1.163085"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/kat-crypto-street_test.ts
    (
        "kat_street_lowercase_pair",
        "https://www.tradingview.com/x/tziCAB0O\n\n1inch/usdt\n\nLong\n\nLeverage:10x\n\nEntry zone:0.4520-0.4300\n\nTake-Profit-Target:0.46-0.48-0.50-0.52-0.55-0.60-0.65-0.70-0.75-0.80-0.85-0.90\n\nStoploss:0.3200",
        {
            "kind": "entry",
            "base": "1INCH",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.4300"), D("0.4520")],
            "targets": [
                D("0.46"),
                D("0.48"),
                D("0.50"),
                D("0.52"),
                D("0.55"),
                D("0.60"),
                D("0.65"),
                D("0.70"),
                D("0.75"),
                D("0.80"),
                D("0.85"),
                D("0.90"),
            ],
            "stop_loss": D("0.3200"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/kat-crypto-street_test.ts
    (
        "kat_street_title_case_pair",
        "https://www.tradingview.com/x/hAgpXyjF\n\nBnb/usdt\n\nShort\n\nLeverage:10x\n\nEntry zone:241-250\n\nTake-Profit-Target:238-235-225-215-205-200-190-180\n\nStoploss:265",
        {
            "kind": "entry",
            "base": "BNB",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("241"), D("250")],
            "targets": [
                D("238"),
                D("235"),
                D("225"),
                D("215"),
                D("205"),
                D("200"),
                D("190"),
                D("180"),
            ],
            "stop_loss": D("265"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/binance-pro_test.ts
    (
        "binance_pro_percent_stop",
        "🔥 #BTCDOM/USDT | Long📈, x20 | 🔥\n\n💷 Entry Target = 1770.2\nSL - 25-30%\n\nTake Profits =\n☑️ 1806.3265 | 40% of profit |\n☑️ 1824.9485 | 60% of profit |\n☑️ 1843.9583 | 80% of profit |\n🚀 1863.3684 | 100% of profit |\n\n=-=-=-=-=-=-=-=-=-=-=-=-=-=-=",
        {
            "kind": "entry",
            "base": "BTCDOM",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("1770.2")],
            "targets": [D("1806.3265"), D("1824.9485"), D("1843.9583"), D("1863.3684")],
            "stop_loss": None,
            "leverage": D("20"),
            "update": None,
        },
    ),
    # erma0x/teleryum:tests/message_examples/FatPigsChannel.txt
    (
        "fat_pig_cornix",
        "🐷#GRT/USDT\n\nSignal Type: REGULAR (LONG)\nLeverage: Cross(20X_50X)\n\nEntry Targets:\n1) 0.4120\n\nTake-Profit Targets:\n1) 0.4150\n2) 0.4190\n3) 0.4250\n4) 0.4350\n5) 0.4440\n\nStop Targets:\n1) 0.3990",
        {
            "kind": "entry",
            "base": "GRT",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.4120")],
            "targets": [D("0.4150"), D("0.4190"), D("0.4250"), D("0.4350"), D("0.4440")],
            "stop_loss": D("0.3990"),
            "leverage": D("20"),
            "update": None,
        },
    ),
    # erma0x/teleryum:tests/message_examples/FatPigsChannel.txt
    (
        "fat_pig_direction_targets_dashed",
        "🐷 $ATOM/USDT (Binance, FTX)\nDirection: ⬆️LONG\n--------------------\nPosition Size: 5-10%\nLeverage : 3-5x\nTrade Type: Standard Trade\n--------------------\nMade for a decent short term move a couple of weeks ago, but this is the real mid term setup we were looking for🐋\n\nENTRY : 25.30 - 28.85\n(OTE: 26.81)\n\n🔘Target 1 - 29.25\n🔘Target 2 - 29.80\n🔘Target 3 - 30.50\n🔘Target 4 - 32\n🔘Target 5 - 36\n🔘Target 6 - 41\n🔘Target 7 - 48\n🔘Target 8 - 58\n🔘Target 9 - 70\n\n🚫STOP LOSS: 23.07",
        {
            "kind": "entry",
            "base": "ATOM",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("25.30"), D("28.85")],
            "targets": [
                D("29.25"),
                D("29.80"),
                D("30.50"),
                D("32"),
                D("36"),
                D("41"),
                D("48"),
                D("58"),
                D("70"),
            ],
            "stop_loss": D("23.07"),
            "leverage": D("3"),
            "update": None,
        },
    ),
    # erma0x/teleryum:tests/message_examples/FatPigsChannel.txt
    (
        "fat_pig_hash_quote_checkboxes",
        "🐷Buy #ICP/#USDT #LONG\n\n✅Entry Zone: 19.5\n\nSet take profit at: \n☑️ 19.9\n☑️ 20.5\n☑️ 21.8\n\n🚫Stop Loss: 16.00\n\nLeverage: 10X\n\nHOLD FOR 24 TO 72 HOUR",
        {
            "kind": "entry",
            "base": "ICP",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("19.5")],
            "targets": [D("19.9"), D("20.5"), D("21.8")],
            "stop_loss": D("16.00"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # erma0x/teleryum:tests/message_examples/FatPigsChannel.txt
    (
        "fat_pig_target_header_blank",
        "🐷Buy #FLM/#USDT #LONG\n\n✅Entry Zone : 0.2450\n\n☑️Target :\n\n☑️ 0.2500 \n☑️ 0.2550 \n☑️ 0.2600\n\n🚫Stop Loss 0.2200\n\nLeverage: 20x",
        {
            "kind": "entry",
            "base": "FLM",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.2450")],
            "targets": [D("0.2500"), D("0.2550"), D("0.2600")],
            "stop_loss": D("0.2200"),
            "leverage": D("20"),
            "update": None,
        },
    ),
    # JuicedBakker/telegram-crypto-signal-parser:test_signals/signal_1.txt
    (
        "cf_get_in",
        "СF Leverage Trading Signal\nPair: ETH/USDT #LONG\nLeverage: cross 100x (not more than 3-4% balance)\nTargets: 740 - 750 - 770 - 790\nGet in : 725 - 735\nSL: 700\n",
        {
            "kind": "entry",
            "base": "ETH",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("725"), D("735")],
            "targets": [D("740"), D("750"), D("770"), D("790")],
            "stop_loss": D("700"),
            "leverage": D("100"),
            "update": None,
        },
    ),
    # JuicedBakker/telegram-crypto-signal-parser:test_signals/signal_2.txt
    (
        "trad_ct_long_colon",
        "CTK  / USDT\n\nLONG  : 1.38\n\nLeverage X10 X25\n\nTarget :\n\nTARGET 1  : 1.43$\nTARGET 2  : 1.49$\nTARGET 3  : 1.53$\nTARGET 4  : 1.58$\n\nSTOP : 1.28$",
        {
            "kind": "entry",
            "base": "CTK",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("1.38")],
            "targets": [D("1.43"), D("1.49"), D("1.53"), D("1.58")],
            "stop_loss": D("1.28"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # JuicedBakker/telegram-crypto-signal-parser:test_signals/signal_4.txt
    (
        "btcusd_midterm_short",
        "#BTC #BTCUSD (Midterm SHORT)\n\nEntry 22650-23400\n\nTargets 21510 - 20900 - 20400 - 19800 - 19110 - 18400 - 17200\n\nStop Loss 24500\n\nManage Your Risk..!!",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USD",
            "side": "short",
            "market": None,
            "entry": [D("22650"), D("23400")],
            "targets": [
                D("21510"),
                D("20900"),
                D("20400"),
                D("19800"),
                D("19110"),
                D("18400"),
                D("17200"),
            ],
            "stop_loss": D("24500"),
            "leverage": None,
            "update": None,
        },
    ),
    # JuicedBakker/telegram-crypto-signal-parser:test_signals/signal_5.txt
    (
        "cornix_client_isolated",
        "⚡️⚡️ #BTC/USDT ⚡️⚡️\n\nClient: Binance Futures\nTrade Type: Regular (SHORT)\nLeverage: Isolated (10.0X)\n\nEntry Zone:\n37350 - 37000\n\nTake-Profit Targets:\n1) 36670 - 20%\n2) 36220 - 20%\n3) 35800 - 20%\n4) 35400 - 20%\n5) 35000 - 20%\n\nStop Targets:\n1) 39100 - 100.0%\n\nRisk level 7/10\nPublished By: @raticoin1",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("37000"), D("37350")],
            "targets": [D("36670"), D("36220"), D("35800"), D("35400"), D("35000")],
            "stop_loss": D("39100"),
            "leverage": D("10.0"),
            "update": None,
        },
    ),
    # JuicedBakker/telegram-crypto-signal-parser:test_signals/signal_7.txt
    (
        "buy_around_selling_targets",
        "#BRD at (Binance.com)\n\nBuy around 666-652\n\nSelling Targets - 677-690-738-850\n\nStop at – 600",
        {
            "kind": "entry",
            "base": "BRD",
            "quote": None,
            "side": "long",
            "market": None,
            "entry": [D("652"), D("666")],
            "targets": [D("677"), D("690"), D("738"), D("850")],
            "stop_loss": D("600"),
            "leverage": None,
            "update": None,
        },
    ),
    # JuicedBakker/telegram-crypto-signal-parser:test_signals/signal_8.txt
    (
        "short_at_stoploss_above",
        "Short #xbt at 6640-6700\n\nStoploss above 6800\n\nTARGETS 6580-6500-6400-6200",
        {
            "kind": "entry",
            "base": "XBT",
            "quote": None,
            "side": "short",
            "market": None,
            "entry": [D("6640"), D("6700")],
            "targets": [D("6580"), D("6500"), D("6400"), D("6200")],
            "stop_loss": D("6800"),
            "leverage": None,
            "update": None,
        },
    ),
    # LittleUmbrella/tigger:src/parsers/__tests__/cmpDcaSignalParser.test.ts
    (
        "cmp_dca_circled_tps",
        "Long: ID/USDT \n(20x-50x Leverage)\nEntry at CMP: 0.03155\nDCA: 0.03070\n-------------\nTP ➊: 0.03295\nTP ➋: 0.03540\nTP ➌: 0.03790\n-------------\nSL: H4 candle close below 0.02975\n-------------\n1% risk at CMP & 2% at DCA",
        {
            "kind": "entry",
            "base": "ID",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": "market",
            "targets": [D("0.03295"), D("0.03540"), D("0.03790")],
            "stop_loss": D("0.02975"),
            "leverage": D("20"),
            "update": None,
        },
    ),
    # LittleUmbrella/tigger:src/parsers/__tests__/cmpDcaSignalParser.test.ts
    (
        "cmp_dca_limit_entry_flat",
        "Short: EPIC/USDT — 20x/50x Lev Limit Entry: 0.3144 - 0.3272 DCA: 0.3434 ------------- TP ➊: 0.2890 TP ➋: 0.2664 TP ➌: 0.2452 SL: H4 candle close above 0.3575 ------------- Confluences: TL breakdown confirmed, daily FVG resistance, & weekly pin bar reversal.",
        {
            "kind": "entry",
            "base": "EPIC",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("0.3144"), D("0.3272")],
            "targets": [D("0.2890"), D("0.2664"), D("0.2452")],
            "stop_loss": D("0.3575"),
            "leverage": D("20"),
            "update": None,
        },
    ),
    # LittleUmbrella/tigger:src/parsers/__tests__/vipFutureParser.test.ts
    (
        "vip_future_exit_targets",
        "#KITEUSDT / LONG / 10X-20X ENTRY: 0.206 - 0.195 EXIT: 0.212 , 0.218 , 0.224 , 0.236 , 0.250 STOPLOSS: 0.185",
        {
            "kind": "entry",
            "base": "KITE",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.195"), D("0.206")],
            "targets": [D("0.212"), D("0.218"), D("0.224"), D("0.236"), D("0.250")],
            "stop_loss": D("0.185"),
            "leverage": D("10"),
            "update": None,
        },
    ),
    # LittleUmbrella/tigger:src/parsers/__tests__/vipFutureParser.test.ts
    (
        "vip_future_emoji_flat",
        "🥇 #PENGUUSDT 📤 Long 💹 Buy: 0.008412 - 0.008539 🧿 Target: 0.008530 - 0.008606 - 0.008691 - 0.008792 - 0.008919 - 0.009088 🧨 StopLoss: 0.008158 🔘 Leverage: 5-10x",
        {
            "kind": "entry",
            "base": "PENGU",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.008412"), D("0.008539")],
            "targets": [
                D("0.008530"),
                D("0.008606"),
                D("0.008691"),
                D("0.008792"),
                D("0.008919"),
                D("0.009088"),
            ],
            "stop_loss": D("0.008158"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # LittleUmbrella/tigger:src/parsers/__tests__/starFormatParser.test.ts
    (
        "star_format_dollars",
        "⭐ #ZEC/USDT 🛑 SHORT 📊 EXCHANGE - BYBIT/BINGX/MEXC 🧑🎤 Leverage: 5X 🔥 👉 Entry = $319.9500 - $331.7336 TARGET - $296.3828 - $272.8157 - $237.4649 ❌ Stop Loss - $355.3007 www.cryptosyntix.com",
        {
            "kind": "entry",
            "base": "ZEC",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("319.9500"), D("331.7336")],
            "targets": [D("296.3828"), D("272.8157"), D("237.4649")],
            "stop_loss": D("355.3007"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # LittleUmbrella/tigger:src/parsers/__tests__/starFormatParser.test.ts
    (
        "star_format_multiline",
        "🌟 #RIVER/USDT \n\n🛑 Short \n\n📊 EXCHANGE -BYBIT/BINGX/MEXC\n\n🧑🎤 Leverage: 3- 8X 🔥\n\n👉 Entry = 27.65 - 29.89\n\nTARGET-  26.45 - 25.67 - 24.79 - 22.80 - 20.78+\n\n❌STOP LOSS - 31.89",
        {
            "kind": "entry",
            "base": "RIVER",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("27.65"), D("29.89")],
            "targets": [D("26.45"), D("25.67"), D("24.79"), D("22.80"), D("20.78")],
            "stop_loss": D("31.89"),
            "leverage": D("3"),
            "update": None,
        },
    ),
    # RodrigoPerezDomanico/cpt-telegram-tradingsignals-interpreter:Trading/signals.py
    (
        "cpt_binance_pair_no_quote",
        "BINANCE\nPair: XRP LONG\nLeverage: Cross 15x\nEntry zone: 0.3185 - 0.3292\nTargets: 0.3358 - 0.3374 - 0.3397 - null\nSL: 0.3127",
        {
            "kind": "entry",
            "base": "XRP",
            "quote": None,
            "side": "long",
            "market": "futures",
            "entry": [D("0.3185"), D("0.3292")],
            "targets": [D("0.3358"), D("0.3374"), D("0.3397")],
            "stop_loss": D("0.3127"),
            "leverage": D("15"),
            "update": None,
        },
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_2xclub.py
    (
        "persian_2xclub_two_entries",
        "📈رمزارز  FORM\nبا لوریج 2 و در نقاط 0.8571 و 0.816 پوزیشن لانگ باز کنید.\n🎯تارگت:\n0.9073 - 0.9844 - 1.0825 - 1.1968\n❌استاپ:\n0.7572\n",
        {
            "kind": "entry",
            "base": "FORM",
            "quote": None,
            "side": "long",
            "market": "futures",
            "entry": [D("0.816"), D("0.8571")],
            "targets": [D("0.9073"), D("0.9844"), D("1.0825"), D("1.1968")],
            "stop_loss": D("0.7572"),
            "leverage": D("2"),
            "update": None,
        },
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_2xclub.py
    (
        "persian_2xclub_short_at_point",
        "#BTC/USDT\nپوزیشن شورت باز کنید\nدر نقطه 27461.5\nتارگت: 26000\nاستاپ: 28000",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USDT",
            "side": "short",
            "market": None,
            "entry": [D("27461.5")],
            "targets": [D("26000")],
            "stop_loss": D("28000"),
            "leverage": None,
            "update": None,
        },
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_signal_mixed_fa_en.py
    (
        "mixed_fa_en_pips",
        "In reply to John\n#XAUUSD\nBuy\nEntry ۱٬۹۰۰٫۵۰\nSL ۱۸۹۵\nTP1: ۱۹۱۰ ۵۰ pips\nTP2: 1915 30 pts\nTP3: 1920 1%",
        {
            "kind": "entry",
            "base": "XAU",
            "quote": "USD",
            "side": "long",
            "market": None,
            "entry": [D("1900.50")],
            "targets": [D("1910"), D("1915"), D("1920")],
            "stop_loss": D("1895"),
            "leverage": None,
            "update": None,
        },
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_channel_four.py
    (
        "forex_eurusd_take_profit_n",
        "#EURUSD\nBuy\nEntry: 1.0800-1.0810\nTake Profit 1 : 1.0850\nTake Profit 2 : 1.0900\nStop Loss : 1.0780\n",
        {
            "kind": "entry",
            "base": "EUR",
            "quote": "USD",
            "side": "long",
            "market": None,
            "entry": [D("1.0800"), D("1.0810")],
            "targets": [D("1.0850"), D("1.0900")],
            "stop_loss": D("1.0780"),
            "leverage": None,
            "update": None,
        },
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_channel_four.py
    (
        "forex_sell_limit_range",
        "#XAUUSD\nSell Limit\nEntry Range: 1930 - 1935\nTP1: 1920\nTP2: 1910\nSL: 1940\n",
        {
            "kind": "entry",
            "base": "XAU",
            "quote": "USD",
            "side": "short",
            "market": None,
            "entry": [D("1930"), D("1935")],
            "targets": [D("1920"), D("1910")],
            "stop_loss": D("1940"),
            "leverage": None,
            "update": None,
        },
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_special_sources.py
    (
        "forex_gbpusd_rr",
        "GBPUSD BUY\nEntry 1.2000\nSL 1.1900\nTP1: 1.2100\nR/R 1:1\nTF: 30M\nHigh Risk trade",
        {
            "kind": "entry",
            "base": "GBP",
            "quote": "USD",
            "side": "long",
            "market": None,
            "entry": [D("1.2000")],
            "targets": [D("1.2100")],
            "stop_loss": D("1.1900"),
            "leverage": None,
            "update": None,
        },
    ),
    # https://github.com/GuntharDeNiro/GunbotAMA/issues/104
    (
        "gunbot_cornix_cross",
        "⚡⚡ #BTC/USDT ⚡⚡\nExchanges: Binance Futures\nSignal Type: Regular (Long)\nLeverage: Cross (50.0X)\n\nEntry Targets:\n1) 57450 \n2) 56800 \n\nTake-Profit Targets:\n1) 58400 \n2) 59200 \n3) 60200 \n4) 63000\n5) 67000\n\nStop Targets:\n1) 59200",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("56800"), D("57450")],
            "targets": [D("58400"), D("59200"), D("60200"), D("63000"), D("67000")],
            "stop_loss": D("59200"),
            "leverage": D("50.0"),
            "update": None,
        },
    ),
    # https://github.com/ozgen/binance-telegram-bot/issues/68
    (
        "ozgen_tp_continued_lines",
        "$ONDO LIMIT LONG ENTRY 1.042 - 1.023\n\nSL 0.986\n\nTp 1.11\n1.3\n1.48\n----\nMargin used on 1.042 = 2.5%\nMargin used on 1.023 = 2.5%",
        {
            "kind": "entry",
            "base": "ONDO",
            "quote": None,
            "side": "long",
            "market": None,
            "entry": [D("1.023"), D("1.042")],
            "targets": [D("1.11"), D("1.3"), D("1.48")],
            "stop_loss": D("0.986"),
            "leverage": None,
            "update": None,
        },
    ),
    # https://github.com/ogunjobiFX/MT4-MT5-Forex-Signal-Copier-Telegram-Bot/issues/12
    (
        "forex_copier_one_line_entry",
        "GBPUSD BUY 1.24900\nTP 1.25000\nTP 1.25300\nTP 1.25500\nSL 1.24000",
        {
            "kind": "entry",
            "base": "GBP",
            "quote": "USD",
            "side": "long",
            "market": None,
            "entry": [D("1.24900")],
            "targets": [D("1.25000"), D("1.25300"), D("1.25500")],
            "stop_loss": D("1.24000"),
            "leverage": None,
            "update": None,
        },
    ),
    # https://cordly.tawk.help/article/how-to-send-signals-from-telegram-to-cordly
    (
        "cordly_limit_entry_last",
        "Buy EURUSD limit\nStoploss: 1.060\nTake Profit 1: 1.080\nTake Profit 2: 1.085\nTake Profit 3: 1.090\nTake Profit 4: 1.095\nEntry 1.07",
        {
            "kind": "entry",
            "base": "EUR",
            "quote": "USD",
            "side": "long",
            "market": None,
            "entry": [D("1.07")],
            "targets": [D("1.080"), D("1.085"), D("1.090"), D("1.095")],
            "stop_loss": D("1.060"),
            "leverage": None,
            "update": None,
        },
    ),
    # https://help.cornix.io/en/articles/5814956-signal-posting
    (
        "cornix_docs_buy_zone_sell",
        "BTC/USDT\nBuy zone 100-200\nSell 250 300\nStop 90",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USDT",
            "side": "long",
            "market": None,
            "entry": [D("100"), D("200")],
            "targets": [D("250"), D("300")],
            "stop_loss": D("90"),
            "leverage": None,
            "update": None,
        },
    ),
    # https://help.cornix.io/en/articles/5814956-signal-posting
    (
        "cornix_docs_enter_above",
        "ETH/USDT\nEnter above 2000-2100\nTake Profit 2200 2300\nStop 1900\nLeverage 5x",
        {
            "kind": "entry",
            "base": "ETH",
            "quote": "USDT",
            "side": "long",  # inferred from the levels (issue 11)
            "market": "futures",
            "entry": [D("2000"), D("2100")],
            "targets": [D("2200"), D("2300")],
            "stop_loss": D("1900"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # liker0704/telegram-signals-parisng:tests/data/integration_test_signals.json
    (
        "ru_idea_long",
        "#идея BTC/USDT 4H 📈\n\nТорговая идея на ЛОНГ по биткоину\n\nВход: 62500 - 63000\nСтоп: 61500\nТейк 1: 64500\nТейк 2: 66000\n\nРиск: 2%\n\n⚠️ Входим только при подтверждении объемов",
        {
            "kind": "entry",
            "base": "BTC",
            "quote": "USDT",
            "side": "long",
            "market": None,
            "entry": [D("62500"), D("63000")],
            "targets": [D("64500"), D("66000")],
            "stop_loss": D("61500"),
            "leverage": None,
            "update": None,
        },
    ),
    # liker0704/telegram-signals-parisng:tests/data/integration_test_signals.json
    (
        "ru_idea_short_targets_header",
        "#ИДЕЯ ETH/USDT 1H 📉\n\n🔴 ШОРТ по эфириуму\n\nЗона входа: 2480 - 2520 💰\nСтоп лосс: 2570\n\nЦели:\nТейк 1: 2400 🎯\nТейк 2: 2350 🎯\nТейк 3: 2280 🎯\n\nРиск 1.5% от депозита\n\n📊 Сигнал актуален при пробое уровня поддержки\n⏰ Таймфрейм: 1 час",
        {
            "kind": "entry",
            "base": "ETH",
            "quote": "USDT",
            "side": "short",
            "market": None,
            "entry": [D("2480"), D("2520")],
            "targets": [D("2400"), D("2350"), D("2280")],
            "stop_loss": D("2570"),
            "leverage": None,
            "update": None,
        },
    ),
    # code search excerpt, file id 56792590793
    (
        "vip_jemal_x_leverage",
        "VIP CRYPTO JEMAL\n#HBAR/USDT - Long\nEntry: 0.07145\nStop Loss: 0.07077\nTarget 1: 0.072\nTarget 2: 0.07186\nTarget 3: 0.07238\nTarget 4: 0.07296\nTarget 5: 0.07309\nLeverage: x42\n",
        {
            "kind": "entry",
            "base": "HBAR",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.07145")],
            "targets": [D("0.072"), D("0.07186"), D("0.07238"), D("0.07296"), D("0.07309")],
            "stop_loss": D("0.07077"),
            "leverage": D("42"),
            "update": None,
        },
    ),
    # code search excerpt, file id 53107099880
    (
        "coin_direction_buy_partially",
        "Coin: #SAGAUSDT\nDirection: Long\nLeverage: 5-10x\n#SAGA has already broken out\nEntry: 0.03360 - 0.03200$ (Buy partially)\nTargets: 0.03450 - 0.03550 - 0.03650 - 0.03750 - 0.03950 - 0.04200$\nStop-loss: 0.03100$",
        {
            "kind": "entry",
            "base": "SAGA",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": [D("0.03200"), D("0.03360")],
            "targets": [
                D("0.03450"),
                D("0.03550"),
                D("0.03650"),
                D("0.03750"),
                D("0.03950"),
                D("0.04200"),
            ],
            "stop_loss": D("0.03100"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # code search excerpt, file id 53107099880
    (
        "coin_direction_1000lunc",
        "Coin: #1000LUNCUSDT\nDirection: Short\nLeverage: 5-10x\nEntry: 0.03310 - 0.03360 (Enter partially)\nTargets: 0.03240 - 0.03180 - 0.03120 - 0.03040 - 0.02920 - 0.02800\nStop-loss: 0.03420",
        {
            "kind": "entry",
            "base": "1000LUNC",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "entry": [D("0.03310"), D("0.03360")],
            "targets": [
                D("0.03240"),
                D("0.03180"),
                D("0.03120"),
                D("0.03040"),
                D("0.02920"),
                D("0.02800"),
            ],
            "stop_loss": D("0.03420"),
            "leverage": D("5"),
            "update": None,
        },
    ),
    # RodrigoPerezDomanico/cpt-telegram-tradingsignals-interpreter:Trading/signals.py
    (
        "cornix_cancelled_target_before_entry",
        "Binance Futures\n#WAVES/USDT Cancelled ❌\nTarget achieved before entering the entry zone",
        {"kind": "update", "base": "WAVES", "update": {"type": "cancel", "target_index": None}},
    ),
    # RodrigoPerezDomanico/cpt-telegram-tradingsignals-interpreter:Trading/signals.py
    (
        "cornix_tp_target_3",
        "#DOT/USDT Take-Profit target 3 ✅\nProfit: 85.8204% 📈\nPeriod: 11 Hours 49 Minutes ⏰",
        {"kind": "update", "base": "DOT", "update": {"type": "tp_hit", "target_index": 3}},
    ),
    # code search excerpt, file id 70412863136
    (
        "cornix_stop_target_hit",
        "#APT/USDT Stop Target Hit ⛔\nLoss: 38.961% 📉",
        {"kind": "update", "base": "APT", "update": {"type": "sl_hit", "target_index": None}},
    ),
    # code search excerpt, file id 56792590793
    (
        "cornix_stop_target_hit_lines",
        "#AGLD/USDT\nStop Target Hit\nLoss: 243.4286%\n",
        {"kind": "update", "base": "AGLD", "update": {"type": "sl_hit", "target_index": None}},
    ),
    # code search excerpt, file id 70412863136
    (
        "cornix_all_targets_achieved",
        "#SOL/USDT All targets achieved 😎\nProfit: 40.2% 📈\nPeriod: 3 hr 27 min ⏰",
        {"kind": "update", "base": "SOL", "update": {"type": "tp_hit", "target_index": None}},
    ),
    # code search excerpt, file id 70412863136
    (
        "cornix_manually_cancelled",
        "#STX/USDT Manually Cancelled",
        {"kind": "update", "base": "STX", "update": {"type": "cancel", "target_index": None}},
    ),
    # code search excerpt, file id 70412863136
    (
        "cornix_closed_trailing_stop",
        "#BTC/USDT Closed at trailing stoploss after reaching take profit ⚠",
        {"kind": "update", "base": "BTC", "update": {"type": "close", "target_index": None}},
    ),
    # code search excerpt, file id 70412863136
    (
        "cornix_all_entries_achieved",
        "#BTC/USDT All entries achieved\nAverage Entry Price: 86000 💵",
        {
            "kind": "update",
            "base": "BTC",
            "update": {"type": "entry_filled", "target_index": None},
        },
    ),
    # CryptobotCZ/crypto-signals-analysis:src/parser.ts (Cornix 'Entry target N' regex)
    (
        "cornix_entry_target_filled",
        "Binance Futures\n#ETH/USDT Entry target 2 ✅\nAverage Entry Price: 1805.3 💵",
        {
            "kind": "update",
            "base": "ETH",
            "update": {"type": "entry_filled", "target_index": None},
        },
    ),
    # code search excerpt, file id 56792590793
    (
        "cornix_target_touch",
        "#ETH/USDT\nTarget Touch 1\nProfit: 9.3544%\nPeriod: 14 Minutes\n",
        {"kind": "update", "base": "ETH", "update": {"type": "tp_hit", "target_index": 1}},
    ),
    # code search excerpt, file id 53107099880
    (
        "update_targets_list_done",
        "#SAGAUSDT UPDATE:\nTarget 1,2,3 done nicely ✔️\nSo far 100% Profits with 10x leverage🤑",
        {"kind": "update", "base": "SAGA", "update": {"type": "tp_hit", "target_index": 3}},
    ),
    # code search excerpt, file id 53107099880
    (
        "update_target_2_done",
        "#LAYERUSDT UPDATE:\nTarget 2 done nicely✔️\nSo far 30% Profits with 10x leverage🤑",
        {"kind": "update", "base": "LAYER", "update": {"type": "tp_hit", "target_index": 2}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_close_symbol",
        "close AXLUSDT",
        {"kind": "update", "base": "AXL", "update": {"type": "close", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_exit_symbol_now",
        "exit BTCUSDT now",
        {"kind": "update", "base": "BTC", "update": {"type": "close", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_close_all_trades",
        "close all trades",
        {"kind": "update", "base": None, "update": {"type": "close", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_cancel_remaining",
        "cancel remaining entries for AXLUSDT",
        {"kind": "update", "base": "AXL", "update": {"type": "cancel", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_put_stop_be",
        "put stop at BE",
        {"kind": "update", "base": None, "update": {"type": "move_sl", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_move_stop_price",
        "move stop loss to 0.03358",
        {"kind": "update", "base": None, "update": {"type": "move_sl", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_new_stop_loss",
        "new stop loss: 0.0310",
        {"kind": "update", "base": None, "update": {"type": "move_sl", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_ignore_previous",
        "ignore previous signal",
        {"kind": "update", "base": None, "update": {"type": "cancel", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_setup_invalidated",
        "AXLUSDT setup invalidated",
        {"kind": "update", "base": "AXL", "update": {"type": "cancel", "target_index": None}},
    ),
    # code search excerpt, file id 53107099880
    (
        "cmd_close_half",
        "close half",
        {
            "kind": "update",
            "base": None,
            "update": {"type": "partial_close", "target_index": None},
        },
    ),
    # LittleUmbrella/tigger:src/managers/__tests__/managementParser.test.ts
    (
        "tigger_close_everything",
        "close everything",
        {"kind": "update", "base": None, "update": {"type": "close", "target_index": None}},
    ),
    # LittleUmbrella/tigger:src/managers/__tests__/managementParser.test.ts
    (
        "tigger_close_pair",
        "Close #BTCUSDT",
        {"kind": "update", "base": "BTC", "update": {"type": "close", "target_index": None}},
    ),
    # LittleUmbrella/tigger:src/managers/__tests__/managementParser.test.ts
    (
        "tigger_close_all_longs",
        "Please close all longs now",
        {"kind": "update", "base": None, "update": {"type": "close", "target_index": None}},
    ),
    # https://cordly.tawk.help/article/how-to-send-signals-from-telegram-to-cordly
    (
        "cordly_close_pair",
        "Close EURUSD",
        {"kind": "update", "base": "EUR", "update": {"type": "close", "target_index": None}},
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_united_kings.py
    (
        "united_kings_tp_reached",
        "TP reached! Great profits",
        {"kind": "update", "base": None, "update": {"type": "tp_hit", "target_index": None}},
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_channel_four.py
    (
        "channel_four_move_sl",
        "Move SL to entry",
        {"kind": "update", "base": None, "update": {"type": "move_sl", "target_index": None}},
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_2xclub.py
    (
        "persian_stop_to_entry",
        "✅+12.5%\nاستاپ بیاد نقطه ورود",
        {"kind": "update", "base": None, "update": {"type": "move_sl", "target_index": None}},
    ),
    # liker0704/telegram-signals-parisng:tests/data/integration_test_signals.json
    (
        "ru_tp1_stop_be",
        "✅ 1 тейк взят, стоп в б/у 🔥\n\nПродолжаем держать позицию до 2го тейка\n\n💪 Отличная сделка получается, +2.4% уже в кармане",
        {"kind": "update", "base": None, "update": {"type": "tp_hit", "target_index": 1}},
    ),
    # aminphysicsandmetaphysics-glitch/Trade-Signal-bot.101:tests/test_parse_2xclub.py
    ("persian_greeting", "سلام وقت بخیر", {"kind": "other"}),
    # code search excerpt, file id 53107099880
    (
        "news_mentions_coin",
        "JUST IN: Bitmine added 40,613 $ETH over the past week.",
        {"kind": "other"},
    ),
    # code search excerpt, file id 53107099880
    (
        "risk_warning",
        "Market is very volatile now. So use low leverage and low amount of your capital as per your Risk management.",
        {"kind": "other"},
    ),
    # liker0704/telegram-signals-parisng:tests/data/integration_test_signals.json
    (
        "ru_idea_chart_only",
        "#идея BTC/USDT 4H\n\n📊 Сигнал на картинке\n\nВсе детали на скрине, внимательно изучите!",
        {"kind": "other"},
    ),
    # JeBance/UniSignal:docs_for_analysis/signal_examples.json
    (
        "unisignal_indicator_alert",
        "#BTCUSDT #SENTIMENT\nBINANCE, 2026-2-26, T23:59:0 UTC\n\n**Ticker:** BTCUSDT  \n                  **Day** -0.7% / **24h** -0.7%\n\n→**🟩OS** 59%  /  49.6 - **5 min**\n→**🟥OB** 13%  /  50.3 - **15 min**\n▲**🟩OS** 1%  /  49.2 - **1h**\n→**🟥OB** 28%  /  55.6 - **4h**\n▲**🟥OB** 59%  /  51.5 - **12h**\n→**🟥OB** 21%  /  40.7 - **D**\n\n**Last price:** 67485.18",
        {"kind": "other"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_public_format(text: str, expected: dict[str, Any]) -> None:
    result = parse(text)
    got = to_output_dict(result)
    wrong = {k: (got[k], want) for k, want in expected.items() if got[k] != want}
    assert not wrong, wrong
    for start, end in result.spans.values():
        assert 0 <= start <= end <= len(text)


def test_cases_cover_many_formats() -> None:
    kinds = [c[2]["kind"] for c in CASES]
    assert len(CASES) >= 60
    assert {"entry", "update", "other"} <= set(kinds)
    assert len({c[0] for c in CASES}) == len(CASES)
