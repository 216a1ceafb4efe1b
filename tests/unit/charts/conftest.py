"""Chart tests: matplotlib's cache away from the home directory, PNG checks, real candles."""

from __future__ import annotations

import io
import os
import struct
import tempfile
from pathlib import Path

# Before anything imports matplotlib: its font cache and config go to a temp dir (reused
# between runs), never to ~/.cache or ~/.config on a CI machine. An explicit setting wins.
os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "tsbot-tests-matplotlib"))

import numpy as np  # noqa: E402  (after MPLCONFIGDIR on purpose)
import pytest  # noqa: E402

from services.tracking.model import CandleArrays  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 300_000
# /work/main/tests/unit/charts/conftest.py -> parents[3] is the repo, its parent holds shared/
MARKETDATA = Path(__file__).resolve().parents[3].parent / "shared" / "marketdata"
BINANCE = MARKETDATA / "harthor-marketlab" / "binance"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first one, right after the signature)."""
    assert data[:8] == PNG_SIGNATURE, data[:8]
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_phone_png(data: bytes) -> None:
    """A valid PNG of the charts' phone size, small enough to send quickly."""
    assert png_size(data) == (1200, 800)
    assert 5_000 < len(data) < MAX_PNG_BYTES, len(data)
    assert data.endswith(b"IEND\xaeB`\x82")


def corner_brightness(data: bytes) -> float:
    """Brightness (0 black to 1 white) of the image's top-left pixel: the theme's background."""
    from PIL import Image  # matplotlib's own dependency

    with Image.open(io.BytesIO(data)) as image:
        # getpixel is typed for every image mode; an RGB image gives a 3-tuple
        red, green, blue = image.convert("RGB").getpixel((2, 2))  # type: ignore[misc]
    return (red + green + blue) / (3 * 255)


def feather_candles(relative: str, start: int, count: int) -> CandleArrays:
    """``count`` candles from row ``start`` of a shared freqtrade feather file (skips the
    test when shared/marketdata is absent)."""
    path = BINANCE / relative
    if not path.is_file():
        pytest.skip(f"shared market data not found: {path} (see shared/marketdata/README.md)")
    from pyarrow import feather  # type: ignore[import-untyped]  # pyarrow has no annotations

    table = feather.read_table(path).slice(start, count)
    seconds = table.column("date").to_numpy().astype("datetime64[s]").astype(np.int64)
    columns = {
        name: table.column(name).to_numpy().astype(np.float64)
        for name in ("open", "high", "low", "close")
    }
    symbol = path.name.split("-")[0].replace("_", "/", 1).replace("_", ":")
    return CandleArrays(
        symbol=symbol,
        timeframe_s=int(seconds[1] - seconds[0]),
        times=seconds,
        open=columns["open"],
        high=columns["high"],
        low=columns["low"],
        close=columns["close"],
    )
