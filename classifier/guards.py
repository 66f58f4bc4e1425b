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
# Harm words said of a thing: a battery that "died", an update that "killed" it, a phone "bricked", a song that
# "is fire". The safety head reads them as danger; `figurative_harm` reports one only where no word of real harm
# is left in the rest of the message.
_THINGS = (r"battery|batteries|phone|mobile|laptop|tablet|screen|console|tv|telly|router|modem|printer|charger|"
           r"headphones|earbuds|headset|app|device|speakers?|watch|camera|computer|pc|kindle|remote|fridge|freezer|"
           r"kettle|toaster|hoover|vacuum|bulbs?|signal|wi-?fi|internet|broadband|connection|engine|card")
FIGURATIVE_HARM = re.compile(
    r"\b(?:kill(?:ed|ing|s)?|murder(?:ed|ing|s)?|destroy(?:ed|ing|s)?)\s+(?:my|the|our|your|his|her|their)\s+"
    r"(?:\w+\s+)?(?:" + _THINGS + r"|speed|performance|vibe|mood|buzz|appetite|weekend|evening|plans|motivation)"
    r"(?:\s+life)?\b"
    r"|\b(?:" + _THINGS + r")(?:\s+\w+){0,2}?\s+(?:died|dies|dying|keeps\s+dying|has\s+died|(?:is|was|are|were|went)\s+"
    r"(?:now\s+|completely\s+|totally\s+|just\s+)?dead)\b"
    r"|\bit(?:[’']s|\s+is|\s+was)\s+(?:now\s+|completely\s+|totally\s+)?dead\b"
    r"|\b(?:bricked|dead\s+on\s+arrival|dead\s+pixels?|dead\s+battery|dead\s+spots?)\b"
    r"|\b(?:is|was|looks|sounds|tastes)\s+(?:straight\s+|literally\s+|actually\s+|pure\s+|absolute\s+)?fire\b"
    r"(?!\s+(?:damaged|damage|safety|brigade|service|fighters?|proof|retardant|resistant|hazard|risk|alarm|exit|door|"
    r"escape|extinguisher|crews?))",
    re.IGNORECASE,
)
REAL_HARM = re.compile(
    r"\b(?:hurt|injur\w*|hospital\w*|ambulance|a\s*&\s*e|blood|bleed\w*|unconscious|poison\w*|chok\w*|"
    r"electrocut\w*|shock(?:ed)?|burn\w*|scald\w*|smok\w*|flames?|fire|explo\w*|melt\w*|spark\w*|fumes?|gas|"
    r"trapped|collaps\w*|died|dead|death|dying|kill\w*|murder\w*|suicid\w*|danger\w*|unsafe|hazard\w*|emergency|"
    r"stranded|motorway|highway|hard\s+shoulder|broke\s+down|broken\s+down|alone\s+at\s+night)\b",
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


def figurative_harm(text: str) -> str | None:
    """A harm word said of a thing ("the battery died", "killed my battery life", "bricked"), when nothing else in
    the message speaks of harm; or None."""
    match = FIGURATIVE_HARM.search(text)
    if match is None or REAL_HARM.search(FIGURATIVE_HARM.sub(" ", text)):
        return None
    return match.group(0)


# Swearing that says how angry a customer is, not who is abused: the harassment head, learnt from Davidson's
# offensive tweets, reads "your app is shit" as abuse. Insults aimed at a person ("bitch", "idiot", slurs) are
# not in it.
PROFANITY = re.compile(
    r"\b(?:fuck(?:ing|in|ed|s)?|f\*+k(?:ing)?|wtf|shit(?:ty|tiest|s)?|bullshit|crap(?:py)?|damn(?:ed)?|"
    r"hell|bloody|piss(?:ed|ing)?(?:\s+off)?|sucks?|af)\b",
    re.IGNORECASE,
)


def without_profanity(text: str) -> tuple[str, list[str]]:
    """The text with its swear words taken out, and those words (none: the text as it was)."""
    found = [match.group(0) for match in PROFANITY.finditer(text)]
    return (PROFANITY.sub(" ", text), found) if found else (text, [])


def sarcasm(text: str) -> str | None:
    """A sarcasm marker ("/s", "yeah right", "thanks for nothing", 🙄), or None."""
    match = SARCASM.search(text)
    return match.group(0).strip() if match else None


def opt_out(text: str) -> str | None:
    """An explicit request to stop being contacted ("STOP", "unsubscribe me"), or None."""
    match = OPT_OUT.search(text[:2000])
    return match.group(0).strip() if match else None
