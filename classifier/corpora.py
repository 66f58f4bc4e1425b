"""Training and measuring corpora, each turned into labelled examples for the model's heads.

Trains on: CrisisLexT26 (MIT), Davidson et al. hate/offensive (MIT) and the
examples we wrote, `classifier/data/examples.jsonl`. complaints-dev has no
licence: `load_complaints` exists for measuring only and `classifier.train`
never calls it.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import TrainingDataError
from frontdesk.models import CATEGORIES

RISK_HEADS = CATEGORIES[:-1]
# What an informative crisis report is about (CrisisLexT26's information types), learnt from that corpus only:
# classifier.judge tells an urgent report (people affected, infrastructure damaged, a warning) from the rest
# (donation appeals, other news) by them.
REPORT_TYPES = {"Affected individuals": "report_affected", "Infrastructure and utilities": "report_infrastructure",
                "Caution and advice": "report_caution", "Donations and volunteering": "report_donations",
                "Other Useful Information": "report_other"}
# A third side: a message of sympathy and support ("praying for everyone in Boston") needs no case. The type
# alone labels it, informative or not: the fixed mapping makes every such tweet low.
SYMPATHY_TYPE, SYMPATHY_HEAD = "Sympathy and support", "report_sympathy"
REPORT_HEADS = (*REPORT_TYPES.values(), SYMPATHY_HEAD)
HEADS = ("case", "informative", *RISK_HEADS, *REPORT_HEADS)
AUTHORED = Path(__file__).with_name("data") / "examples.jsonl"
CRISIS_HIGH = {"Affected individuals", "Infrastructure and utilities", "Caution and advice"}
CRISIS_NORMAL = {"Donations and volunteering", "Other Useful Information"}
WEAK = 0.3
# Tweets that need no case; kept light so that how a corpus was collected does
# not outweigh what our own examples say a complaint is.
CASE_BACKGROUND = 0.1


@dataclass(frozen=True)
class Example:
    """One text with a 0/1 label and a weight for each head it trains (absent heads: not trained)."""

    text: str
    source: str
    group: str
    labels: dict[str, int] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    subject: str | None = None
    gold: str = ""


def datasets_root() -> Path:
    """`$FRONTDESK_DATASETS`, else `shared/datasets` beside the repository."""
    configured = os.environ.get("FRONTDESK_DATASETS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def crisis_class(info_type: str, informativeness: str) -> str:
    """The fixed CrisisLexT26 -> urgency mapping of shared/datasets/README.md."""
    if informativeness == "Related and informative":
        if info_type in CRISIS_HIGH:
            return "high"
        if info_type in CRISIS_NORMAL:
            return "normal"
    return "low"


def load_crisislex(root: Path) -> list[Example]:
    """Every labelled CrisisLexT26 tweet, grouped by event, `gold` = high/normal/low."""
    files = sorted((root / "crisislex-t26-dev").glob("*/*-tweets_labeled.csv"))
    if not files:
        raise TrainingDataError(f"no CrisisLexT26 files under {root / 'crisislex-t26-dev'}")
    examples = []
    for path in files:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            for row in rows:
                info_type, informativeness = row[3].strip(), row[4].strip()
                gold = crisis_class(info_type, informativeness)
                labels = {"informative": int(gold != "low"), "safety": int(gold == "high")}
                weights = {"informative": 1.0, "safety": 1.0}
                if gold == "low":
                    labels["case"], weights["case"] = 0, CASE_BACKGROUND
                for head in RISK_HEADS[1:]:
                    labels[head], weights[head] = 0, WEAK
                for kind, head in REPORT_TYPES.items():
                    labels[head] = int(informativeness == "Related and informative" and info_type == kind)
                    weights[head] = 1.0
                labels[SYMPATHY_HEAD], weights[SYMPATHY_HEAD] = int(info_type == SYMPATHY_TYPE), 1.0
                examples.append(Example(row[1], "crisislex", path.parent.name, labels, weights, gold=gold))
    return examples


def load_davidson(root: Path) -> list[Example]:
    """Davidson tweets; `gold` is the class (0 hate, 1 offensive, 2 neither)."""
    path = root / "davidson-hate-offensive" / "labeled_data.csv"
    if not path.exists():
        raise TrainingDataError(f"missing {path}")
    examples = []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            abusive = int(row["class"] in ("0", "1"))
            labels = {"harassment": abusive, "safety": 0, "legal": 0, "privacy": 0,
                      "financial": 0, "regulatory": 0}
            weights = {head: WEAK for head in labels} | {"harassment": 1.0}
            if not abusive:
                labels["case"], weights["case"] = 0, CASE_BACKGROUND
            examples.append(Example(row["tweet"], "davidson", f"fold{number % 5}", labels, weights,
                                    gold=row["class"]))
    return examples


def load_authored(path: Path = AUTHORED, weight: float = 3.0) -> list[Example]:
    """Our own examples: `{"text", "subject"?, "urgency", "categories"}` per JSON line."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            urgency, categories = record["urgency"], set(record.get("categories", ()))
        except (ValueError, KeyError) as error:
            raise TrainingDataError(f"{path}:{number}: {error}") from error
        labels = {"case": int(urgency != "low")}
        labels.update({head: int(head in categories) for head in RISK_HEADS})
        weights = {head: weight for head in labels}
        if urgency == "low":
            # Chatter to a brand is no incident report; without these negatives the
            # informative head turned some of our held-out non-complaints into cases.
            labels["informative"], weights["informative"] = 0, weight
        for variant in _variants(record["text"], number):
            examples.append(Example(variant, "authored", f"a{number % 5}", labels, weights,
                                    subject=record.get("subject"), gold=urgency))
    return examples


def _variants(text: str, number: int) -> tuple[str, ...]:
    """The text as written and as a public mention, since social posts open with an @handle."""
    handle = ("@AcmeSupport", "@ShopHelp", "@TelcoCares", "@AirlineUK")[number % 4]
    return text, f"{handle} {text}" if number % 2 else f"{handle} {text.lower()}"


def load_complaints(root: Path) -> list[tuple[str, int]]:
    """complaints-dev as (text, 1 if complaint) — for measuring only, never for training."""
    path = root / "complaints-dev" / "complaints-dev.csv"
    if not path.exists():
        raise TrainingDataError(f"missing {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], int(row["complaint"])) for row in csv.DictReader(handle)]
