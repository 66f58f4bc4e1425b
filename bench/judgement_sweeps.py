"""Sweeps behind the judgement figures: would another setting have scored better?

Run from the repository root:
    .venv/bin/python bench/judgement_sweeps.py chat-windows       (about 20 seconds)
    .venv/bin/python bench/judgement_sweeps.py crisis-thresholds  (about 15 minutes: 13 models)

chat-windows routes the IRC disentanglement lines under each pair of
`router.chat.sender_window` and `reply_window` and prints pairwise precision,
recall and F1. crisis-thresholds classifies each CrisisLexT26 event with a
model trained without it (as bench/judgement.py --only crisis does), then
decides urgency again under each pair of the safety threshold (`critical` and
`safety_high` together) and the `informative` threshold, other thresholds
as shipped, then under each `report_urgent` with the others as shipped. Both
show where the shipped setting stands against the best one; the best one is
not adopted from these measurements alone (crisis events are also training
data, the IRC set is measure-only). The last line holds the
shipped and the best figures as `name=value` pairs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

# Replace the script's own folder, whose email.py would shadow the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.judgement import CLASSES, URGENCY_TO_CRISIS, crisis_loeo  # noqa: E402
from bench.judgement_scoring import macro_f1, pairwise  # noqa: E402
from bench.judgement_threads import load_irc, route_chat  # noqa: E402
from classifier import DEFAULT_THRESHOLDS  # noqa: E402
from classifier.corpora import datasets_root  # noqa: E402
from classifier.judge import decide  # noqa: E402
from frontdesk.settings import load_settings  # noqa: E402

SENDER_SECONDS = (30, 60, 120, 180, 300)
REPLY_SECONDS = (300, 600)
SAFETY = (0.3, 0.4, 0.5, 0.6, 0.7)
INFORMATIVE = (0.3, 0.4, 0.5, 0.6, 0.7)
REPORT_URGENT = (0.3, 0.4, 0.5, 0.6, 0.7)


def chat_windows(root: Path) -> dict[str, float]:
    """Pairwise P/R/F1 on the IRC lines for each (sender_window, reply_window)."""
    messages, gold = load_irc(root)
    chat = load_settings(None).router.chat
    shipped = (int(chat.sender_window.total_seconds()), int(chat.reply_window.total_seconds()))
    rows = {}
    print("sender_window reply_window precision recall F1")
    for sender in sorted({*SENDER_SECONDS, shipped[0]}):
        for reply in sorted({*REPLY_SECONDS, shipped[1]}):
            predicted = route_chat(messages, sender_window=timedelta(seconds=sender),
                                   reply_window=timedelta(seconds=reply))
            rows[(sender, reply)] = pairwise(gold, predicted)
            precision, recall, f1 = rows[(sender, reply)]
            print(f"{sender:>12}s {reply:>11}s {precision:9.3f} {recall:6.3f} {f1:.3f}", flush=True)
    best = max(rows, key=lambda pair: rows[pair][2])
    return {"irc_shipped_precision": rows[shipped][0], "irc_shipped_f1": rows[shipped][2],
            "irc_best_f1": rows[best][2], "irc_best_precision": rows[best][0],
            "irc_best_sender_window_s": best[0], "irc_best_reply_window_s": best[1]}


def crisis_thresholds(root: Path) -> dict[str, float]:
    """Leave-one-event-out macro-F1 for each (safety, informative) threshold pair, from one set of scores."""
    gold: list[str] = []
    scores: list[dict[str, float]] = []
    for event, event_gold, results in crisis_loeo(root):
        gold.extend(event_gold)
        scores.extend(result.scores for result in results)
        print(f"  {event}: scored", flush=True)

    def figure(safety: float, informative: float, report_urgent: float = DEFAULT_THRESHOLDS.report_urgent) -> float:
        thresholds = replace(DEFAULT_THRESHOLDS, critical=safety, safety_high=safety, informative=informative,
                             report_urgent=report_urgent)
        # The negated-harm guard only turns critical into high, which this mapping already joins.
        return macro_f1(gold, [URGENCY_TO_CRISIS[decide(row, thresholds)[0]] for row in scores], CLASSES)

    grid = {(safety, informative): figure(safety, informative) for safety in SAFETY for informative in INFORMATIVE}
    print("safety \\ informative " + " ".join(f"{value:5}" for value in INFORMATIVE))
    for safety in SAFETY:
        print(f"{safety:20} " + " ".join(f"{grid[(safety, value)]:.3f}" for value in INFORMATIVE))
    best = max(grid, key=grid.__getitem__)
    shipped = (DEFAULT_THRESHOLDS.safety_high, DEFAULT_THRESHOLDS.informative)
    by_kind = {value: figure(*shipped, report_urgent=value) for value in REPORT_URGENT}
    print("report_urgent        " + " ".join(f"{value:5}" for value in REPORT_URGENT))
    print(" " * 21 + " ".join(f"{by_kind[value]:.3f}" for value in REPORT_URGENT))
    return {"crisis_shipped_f1": figure(*shipped), "crisis_best_f1": grid[best], "crisis_best_safety": best[0],
            "crisis_best_informative": best[1], "crisis_best_report_urgent": max(by_kind, key=by_kind.__getitem__)}


SWEEPS = {"chat-windows": chat_windows, "crisis-thresholds": crisis_thresholds}


def main() -> None:
    """Run one sweep and print its grid, then its headline figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", choices=sorted(SWEEPS))
    figures = SWEEPS[parser.parse_args().sweep](datasets_root())
    print(" ".join(f"{key}={value:.4g}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
