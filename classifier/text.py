"""Text preparation shared by training and inference: quotes, tokens, negation scope.

Everything here is pure and deterministic, so the features a model was trained
on are exactly the features it sees at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifier.glossary import GLOSSARY

MAX_CHARS = 6000

_QUOTE_HEADER = re.compile(
    r"^(on\s.{0,200}\swrote:|-{2,}\s*original message\s*-{2,}|am\s.{0,120}\sschrieb.{0,80}:"
    r"|le\s.{0,120}\sa\sécrit\s?:|from:\s.+)$",
    re.IGNORECASE,
)
# A sum: "$2,400", "€1.500,00", "EUR 300", "2,400 euros", "1500€", "5k dollars", "2 grand". The amount ends
# with a digit, so the full stop after "$12." is not read as a decimal point.
_AMOUNT = r"\d(?:[\d,.]*\d)?"
_SCALE = r"(?:k|m|bn|million|billion|thousand|grand)"
_SIGN = "$£€¥₹"
_CODES = ("eur", "usd", "gbp", "chf", "cad", "aud", "inr", "jpy")
_UNITS = (r"(?:euros?|dollars?|bucks|pounds?|quid|francs?|yen|rupees?|pesos?|reais|kronor|kroner|"
          + "|".join(_CODES) + ")")
_MONEY = (rf"(?:[{_SIGN}]|(?:{'|'.join(_CODES)})\s?)\s?{_AMOUNT}(?:\s?{_SCALE})?\b"
          rf"|{_AMOUNT}(?:\s?{_SCALE})?\s?(?:[{_SIGN}]|{_UNITS}\b)|{_AMOUNT}\s?grand\b")
_MONEY_PARTS = re.compile(rf"(?:[{_SIGN}]|[a-z]{{3}})?\s?({_AMOUNT})\s?(?:({_SCALE})\b)?", re.IGNORECASE)
_MONEY_TOKEN = re.compile(_MONEY, re.IGNORECASE)
_MONEY_SCALE = {"k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_EUROPEAN_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_TOKEN = re.compile(
    r"https?://\S+|www\.\S+"
    r"|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|@\w+"
    r"|#\w+"
    rf"|{_MONEY}"
    r"|\d[\d,]*(?:\.\d+)?"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)?"
    r"|[!?.,;:]"
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]",
    re.IGNORECASE,
)
NEGATORS = frozenset(
    "no not never nobody noone nothing none neither nor without cannot cant dont doesnt didnt "
    "isnt wasnt werent arent wont wouldnt couldnt shouldnt havent hasnt hadnt aint".split()
)
SCOPE_BREAK = frozenset(".,;:!?") | frozenset("but however although though except".split())
NEGATION_SCOPE = 3


@dataclass(frozen=True)
class Prepared:
    """A message cut into tokens, with the negated ones marked and the quoted text set aside.

    `written` are normalised word tokens (URLs, addresses, mentions and sums
    replaced by class tokens such as <url>); `tokens` are the same with the
    words of other languages the glossary knows read as English (what the
    model sees: classifier/glossary.py); `negated[i]` is True when token i lies in the
    scope of a negator; `quoted` says whether quoted reply text was removed;
    `big_money` says whether a sum of 1,000 or more was named.
    """

    tokens: tuple[str, ...]
    written: tuple[str, ...]
    negated: tuple[bool, ...]
    raw_words: tuple[str, ...]
    quoted: bool
    big_money: bool
    exclamations: int
    caps_words: int


def strip_quoted(text: str) -> tuple[str, bool]:
    """Drop email-style quoted text ("> " lines and everything after an "On … wrote:" line).

    Returns the author's own text and whether anything was dropped; a text that
    is nothing but quotes is returned unchanged, since then the quote is all we have.
    """
    kept: list[str] = []
    dropped = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            dropped = True
            continue
        if _QUOTE_HEADER.match(stripped):
            dropped = True
            break
        kept.append(line)
    own = "\n".join(kept).strip()
    if dropped and own:
        return own, True
    return text, False


def is_money(token: str) -> bool:
    """Whether a token of _TOKEN is a sum of money."""
    first = token[0]
    if first in _SIGN:
        return True
    if first.isdigit():
        return _MONEY_TOKEN.fullmatch(token) is not None
    # "EUR 300", "USD5k": a currency code with an amount; plain words are letters only.
    return not token.isalpha() and token[:3].lower() in _CODES and _MONEY_TOKEN.fullmatch(token) is not None


def money_value(token: str) -> float:
    """The amount of a money token ("€1.500,00" 1500, "5k dollars" 5000); 0.0 for any other token."""
    match = _MONEY_PARTS.match(token)
    if not match or not is_money(token):
        return 0.0
    amount = match.group(1)
    if _EUROPEAN_THOUSANDS.fullmatch(amount):  # 1.500,00
        amount = amount.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(amount):  # 12,50
        amount = amount.replace(",", ".")
    else:  # 2,400.50
        amount = amount.replace(",", "")
    try:
        value = float(amount)
    except ValueError:  # "1.2.3"
        return 0.0
    return value * _MONEY_SCALE.get((match.group(2) or "").lower(), 1.0)


def _normalise(token: str) -> str:
    lowered = token.lower()
    first = lowered[0]
    if lowered.startswith(("http", "www.")):
        return "<url>"
    if first == "@":
        return "<mention>"
    if "@" in lowered:
        return "<email>"
    if first == "#":
        return lowered[1:] or "#"
    if is_money(token):
        return "<money>"
    if first.isdigit():
        return "<number>" if len(lowered) < 5 else "<longnumber>"
    return lowered.replace("'", "").replace("’", "")


def _negation_marks(tokens: list[str]) -> list[bool]:
    marks = [False] * len(tokens)
    remaining = 0
    for index, token in enumerate(tokens):
        if token in SCOPE_BREAK:
            remaining = 0
            continue
        if remaining:
            marks[index] = True
            remaining -= 1
        if token in NEGATORS:
            remaining = NEGATION_SCOPE
    return marks


def prepare(text: str, subject: str | None = None) -> Prepared:
    """Cut `subject` and `text` into marked tokens; the text is bounded to MAX_CHARS."""
    own, quoted = strip_quoted(text[: MAX_CHARS * 2])
    combined = f"{subject}\n{own}" if subject else own
    raw = _TOKEN.findall(combined[:MAX_CHARS])
    written = [_normalise(token) for token in raw]
    tokens = [GLOSSARY.get(token, token) for token in written]
    big_money = any(money_value(token) >= 1000 for token, word in zip(raw, written) if word == "<money>")
    caps = sum(1 for token in raw if len(token) > 2 and token.isupper() and token.isalpha())
    return Prepared(
        tokens=tuple(tokens),
        written=tuple(written),
        negated=tuple(_negation_marks(tokens)),
        raw_words=tuple(raw),
        quoted=quoted,
        big_money=big_money,
        exclamations=tokens.count("!"),
        caps_words=caps,
    )
