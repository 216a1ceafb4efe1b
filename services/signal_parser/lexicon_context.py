"""Words about a post rather than its levels, as data: that it quotes an example (a guide),
that an open verb is asked about (a modal), and that it is written in a language grouping
thousands with a dot. All entries lower case; ``rules`` and ``prices`` compile them.
"""

from __future__ import annotations

from typing import Final

# a post that calls itself an example (a guide quoting a signal) is not a call
EXAMPLE_WORDS: Final = (
    "example",
    "guide",
    "guia",
    "guía",
    "how it works",
    "how i use",
    "how to use",
    "cách tôi sử dụng",
    "cách sử dụng",
    "come funziona",
    "como funciona",
    "cómo funciona",
    "if you are",
    "if you're",
    "si estás",
    "se você",
    "если вы",
    "exemplo",
    "ejemplo",
    "exemple",
    "пример",
    "示例",
    "例子",
    "ví dụ",
    "مثال",
    "örnek",
)
# a modal before an open verb makes a question or a thought, not a call ("devo abrir ...")
MODAL_WORDS: Final = ("should", "shall", "could", "would", "devo", "deveria", "debo", "debería")
# words of the languages that group thousands with a dot ("3.000" is three thousand): Italian,
# Portuguese, Spanish, German, Turkish, Indonesian, Romanian; none is an English word
DOT_THOUSANDS_WORDS: Final = (
    "il",
    "che",
    "della",
    "sono",
    "nel",
    "nell",
    "per",
    "di",
    "que",
    "uma",
    "não",
    "para",
    "com",
    "em",
    "una",
    "el",
    "los",
    "las",
    "del",
    "con",
    "und",
    "der",
    "das",
    "ist",
    "nicht",
    "ve",
    "bir",
    "için",
    "ile",
    "dan",
    "yang",
    "untuk",
    "și",
    "este",
)
