"""Guards for what a bag-of-words model gets wrong: negated harm, sarcasm, opt-out requests.

Each guard is a small, named pattern; when one changes an outcome, the
classification carries a `Reason(source="guard")` saying which and why.
"""

from __future__ import annotations

import re

NEGATED_HARM = re.compile(
    r"\b(?:no\s?one|nobody|none\s+of\s+us)\s+(?:was|were|got|is|has\s+been)?\s*(?:seriously\s+)?"
    r"(?:hurt|injured|harmed|ill|sick|burn(?:ed|t))\b"
    r"|\bno(?:\s+one)?\s+(?:injur(?:y|ies)|harm|casualties)\b"
    r"|\b(?:was|were|am|is|are|got)(?:n't|\s+not)\s+(?:hurt|injured|harmed)\b"
    r"|\b(?:we(?:'re|\s+are)|everyone(?:'s|\s+is)|all)\s+(?:fine|safe|okay|ok|unhurt)\b"
    r"|\bnot\s+(?:a\s+)?(?:dangerous|safety\s+(?:issue|problem|concern)|an?\s+emergency)\b"
    r"|\bnothing\s+(?:serious|dangerous)\b",
    re.IGNORECASE,
)
SARCASM = re.compile(
    r"(?:^|\s)/s\b|#sarcasm|\byeah,?\s+right\b|\bthanks\s+(?:a\s+lot|for\s+nothing)\b"
    r"|\b(?:oh|just|how|wow),?\s+(?:great|fantastic|brilliant|wonderful|lovely|perfect|amazing)\b"
    r"|\b(?:love|loving)\s+how\b|\bgreat\s+job\b.*\b(?:again|losing|lost|broke|ruin)"
    r"|\bcheers\s+for\s+nothing\b|\bwell\s+done\b.*\bagain\b|\U0001F644|\U0001F612",
    re.IGNORECASE,
)
OPT_OUT = re.compile(
    r"^\s*(?:stop|unsubscribe|stopall|cancel|end|quit)\s*[.!]?\s*$"
    r"|\b(?:unsubscribe\s+me|opt\s+me\s+out|remove\s+me\s+from\s+(?:your|the)\s+(?:list|mailing)"
    r"|do\s+not\s+(?:contact|email|message|text)\s+me(?:\s+again)?"
    r"|stop\s+(?:emailing|messaging|texting|contacting)\s+me)\b",
    re.IGNORECASE,
)


def negated_harm(text: str) -> str | None:
    """The phrase saying nobody came to harm ("no one was hurt"), or None."""
    match = NEGATED_HARM.search(text)
    return match.group(0) if match else None


def sarcasm(text: str) -> str | None:
    """A sarcasm marker ("/s", "yeah right", "thanks for nothing", 🙄), or None."""
    match = SARCASM.search(text)
    return match.group(0).strip() if match else None


def opt_out(text: str) -> str | None:
    """An explicit request to stop being contacted ("STOP", "unsubscribe me"), or None."""
    match = OPT_OUT.search(text[:2000])
    return match.group(0).strip() if match else None
