"""The pasted-secret detector: key shapes match, signal posts and plain-language phrases never do
(the whole dev corpus included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.secret_text import looks_like_secret

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev.jsonl"

SECRETS = [
    "Kq9vT3xWm8ZrB2nLp7YcH4sJd6FgA1eUo5iQ0wRtXy",  # exchange-style random key
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",  # Binance API key shape
    "here is my key: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A thanks",
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3y\n-----END EC PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "sk-proj-4fK9x2LmQ8vR7tYc3nB6wZ1aE5dH0jUi",
    "sk_live_51HxYzAbCdEfGhIjKl",
    "AKIAIOSFODNN7EXAMPLE",
    "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
    "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",  # 64 hex: a private key
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    "2B7E151628AED2A6ABF7158809CF4F3C",  # OKX secret: 32 upper hex
    "5f0c6e3a-1b2d-4e8f-9a7b-3c4d5e6f7a8b",  # OKX / KuCoin API key: a UUID
    "kQ2j9Xw+Lm4Zp8Rv/Tn3Yb6Hc1Fd5Gs0Ae7Ui2Oo9Pk4Mn8Bv3Cx6Zq1Wr5Ts0Yu7Ij2Lk9==",  # base64 secret
]

NOT_SECRETS = [
    "",
    "buy 0.1 btc",
    "grab me fifty bucks of solana",
    "sell half my eth at 3200",
    "what is my balance?",
    "price of btc",
    "cancel my last order",
    "#BTC/USDT LONG entry 64000-64500 targets 65000 66000 67000 stop 62000 leverage 10x",
    "https://www.tradingview.com/chart/BTCUSDT/Ab3Cd9Ef-Bitcoin-long-setup-towards-70k-Q2Z9xK/",
    "https://t.me/+AbCdEfGhIjKlMnOpQrStUvWx1234567890",  # an invite link: public, not a key
    "send to 0x742d35Cc6634C0532925a3b844Bc454e4438f44e please",  # a wallet address
    "harthor-marketlab/binance/BTC_USDT-5m.feather",
    "supercalifragilisticexpialidocious-and-more-words-to-be-long",
    "Take-Profit-1-Take-Profit-2-Take-Profit-3-Stop-Loss-Entry",
    "🚀🚀🚀 $PEPE/USDT 🚀🚀🚀 buy zone 0.00001230 - 0.00001250 TP 0.00001300",
]


@pytest.mark.parametrize("text", SECRETS)
def test_key_shapes_are_secrets(text: str) -> None:
    assert looks_like_secret(text)


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_ordinary_text_is_not_a_secret(text: str) -> None:
    assert not looks_like_secret(text)


@pytest.mark.skipif(not CORPUS.exists(), reason="the dev corpus is not on this machine")
def test_no_signal_post_of_the_dev_corpus_is_a_secret() -> None:
    posts = [json.loads(line)["text"] for line in CORPUS.read_text().splitlines() if line]
    assert posts
    assert [post for post in posts if looks_like_secret(post)] == []
