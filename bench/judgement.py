"""Judgement benchmark: how well Frontdesk's classifier (and, later, threading) judges real data.

Run from the repository root:  .venv/bin/python bench/judgement.py [--only NAME ...]
Each figure is printed with the command that reproduces it; the last line
holds the headline figures as `name=value` pairs. Corpora are read from
shared/datasets beside the repository (or $FRONTDESK_DATASETS); complaints-dev
is only measured on, never trained on.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# Replace the script's own folder, whose email.py would shadow the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.judgement_scoring import macro_f1, pairwise, per_class  # noqa: E402
from bench.judgement_threads import (  # noqa: E402
    gold_threads, load_irc, load_maildirs, route_chat, route_mails, write_messages,
)
from classifier import Thresholds, classify_many  # noqa: E402
from classifier.corpora import (  # noqa: E402
    RISK_HEADS, datasets_root, load_authored, load_complaints, load_crisislex, load_davidson,
)
from classifier.features import TROUBLE  # noqa: E402
from classifier.text import prepare  # noqa: E402
from classifier.train import build_model, training_examples  # noqa: E402
from frontdesk.models import URGENCIES, Classification  # noqa: E402
from frontdesk.settings import load_settings  # noqa: E402
from frontdesk.triage import read_jsonl, triage  # noqa: E402
from frontdesk.judging import build_router  # noqa: E402
from router.rules import RuleSet  # noqa: E402

COMMAND = ".venv/bin/python bench/judgement.py --only {name}"
FEATURE_CACHE: dict = {}
URGENCY_TO_CRISIS = {"critical": "high", "high": "high", "normal": "normal", "low": "low"}


def complaints(root: Path) -> dict[str, float]:
    """complaints-dev: macro-F1 of "needs a case" (urgency >= normal) vs low, with and without guards."""
    data = load_complaints(root)
    gold = [label for _, label in data]
    texts = [text for text, _ in data]
    figures = {}
    for name, thresholds in (("complaints_macro_f1", Thresholds()),
                             ("complaints_macro_f1_no_guards", Thresholds(guards=False))):
        predicted = [int(result.urgency != "low") for result in classify_many(texts, thresholds)]
        figures[name] = macro_f1(gold, predicted, (0, 1))
    keyword = [int(any(token in TROUBLE for token in prepare(text).tokens)) for text in texts]
    figures["complaints_keyword_baseline_f1"] = macro_f1(gold, keyword, (0, 1))
    return figures


def crisis_loeo(root: Path) -> Iterator[tuple[str, list[str], list[Classification]]]:
    """For each CrisisLexT26 event: its name, its tweets' gold classes, and how a model trained without it
    (and with everything else the shipped model learns from) classifies them."""
    base = [example for example in training_examples(root) if example.source != "crisislex"]
    events = load_crisislex(root)
    for event in sorted({example.group for example in events}):
        held = [example for example in events if example.group == event]
        model = build_model(base + [example for example in events if example.group != event],
                            cache=FEATURE_CACHE)
        yield event, [example.gold for example in held], classify_many([example.text for example in held],
                                                                         model=model)


def crisis(root: Path) -> dict[str, float]:
    """CrisisLexT26: three-class macro-F1, leave-one-event-out (a model trained without each event)."""
    gold: list[str] = []
    predicted: list[str] = []
    for event, event_gold, results in crisis_loeo(root):
        gold.extend(event_gold)
        predicted.extend(URGENCY_TO_CRISIS[result.urgency] for result in results)
        print(f"  {event}: macro-F1 {macro_f1(event_gold, predicted[-len(event_gold):], CLASSES):.3f}",
              flush=True)
    for label, (precision, recall, f1) in per_class(gold, predicted, CLASSES).items():
        print(f"  {label}: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
    return {"crisis_loeo_macro_f1": macro_f1(gold, predicted, CLASSES)}


CLASSES = ("high", "normal", "low")


def davidson(root: Path, thresholds: Thresholds = Thresholds()) -> dict[str, float]:
    """Davidson: harassment (hate or offensive) vs neither, F1 of the harassment category, 5-fold CV."""
    everything = training_examples(root)
    tweets = load_davidson(root)
    gold: list[int] = []
    predicted: list[int] = []
    for fold in range(5):
        name = f"fold{fold}"
        model = build_model([example for example in everything
                             if not (example.source == "davidson" and example.group == name)],
                            cache=FEATURE_CACHE)
        held = [example for example in tweets if example.group == name]
        results = classify_many([example.text for example in held], thresholds, model=model)
        gold.extend(example.labels["harassment"] for example in held)
        predicted.extend(int("harassment" in result.categories) for result in results)
    precision, recall, f1 = per_class(gold, predicted, (1,))[1]
    return {"davidson_harassment_f1": f1, "davidson_harassment_precision": precision,
            "davidson_harassment_recall": recall}


def written(root: Path) -> dict[str, float]:
    """Our written examples in five folds, each judged by a model trained without it (and with everything
    else the shipped model learns from): macro-F1 of the four urgencies and F1 of each risk category.

    We wrote these examples, so this is a figure for changes to them and to the model (does a new example
    teach what it should, and unteach nothing?), not a claim about anyone's mail.
    """
    everything = training_examples(root)
    gold: list[str] = []
    predicted: list[str] = []
    gold_risks: dict[str, list[int]] = {risk: [] for risk in RISK_HEADS}
    predicted_risks: dict[str, list[int]] = {risk: [] for risk in RISK_HEADS}
    for fold in range(5):
        name = f"a{fold}"
        model = build_model([example for example in everything
                             if not (example.source == "authored" and example.group == name)], cache=FEATURE_CACHE)
        held = [example for example in everything if example.source == "authored" and example.group == name]
        for example, result in zip(held, classify_many([(example.text, example.subject) for example in held],
                                                       model=model)):
            gold.append(example.gold)
            predicted.append(result.urgency)
            for risk in RISK_HEADS:
                gold_risks[risk].append(example.labels[risk])
                predicted_risks[risk].append(int(risk in result.categories))
    for label, (precision, recall, f1) in per_class(gold, predicted, URGENCIES).items():
        print(f"  {label}: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
    figures = {"written_urgency_macro_f1": macro_f1(gold, predicted, URGENCIES)}
    for risk in RISK_HEADS:
        figures[f"written_{risk}_f1"] = per_class(gold_risks[risk], predicted_risks[risk], (1,))[1][2]
    return figures


def speed(root: Path) -> dict[str, float]:
    """Messages per CPU-second on one core of classify_many (the model path) and of the bundled rule set,
    best of five passes over our own texts x 20.

    CPU time, not wall time: the machine is shared, and wall time measures the neighbours.
    """
    texts = [example.text for example in load_authored()] * 20
    rules = RuleSet(load_settings(environ={}).router.rules)
    figures = {}
    for name, run in (("classify_msgs_per_s", classify_many),
                      ("rules_msgs_per_s", lambda batch: [rules.hits(text) for text in batch])):
        run(texts[:100])
        best = 0.0
        for _ in range(5):
            started = time.process_time()
            run(texts)
            best = max(best, len(texts) / (time.process_time() - started))
        figures[name] = best
    return figures


def threads(root: Path) -> dict[str, float]:
    """Pairwise same-case precision/recall/F1: notmuch-eval (lkml + default) with threading headers and with
    them removed, and irc-disentanglement dev (chat lines without thread ids)."""
    mails = load_maildirs(root / "notmuch-eval", ("lkml", "default"))
    gold = gold_threads(mails)
    figures = {}
    for name, strip in (("with_headers", False), ("without_headers", True)):
        predicted = route_mails(mails, strip)
        precision, recall, f1 = pairwise(gold, predicted)
        figures.update({f"notmuch_{name}_precision": precision, f"notmuch_{name}_recall": recall,
                        f"notmuch_{name}_f1": f1})
    messages, gold = load_irc(root)
    precision, recall, f1 = pairwise(gold, route_chat(messages))
    figures.update({"irc_precision": precision, "irc_recall": recall, "irc_f1": f1})
    return figures


def triage_speed(root: Path, count: int = 100_000) -> dict[str, float]:
    """`frontdesk triage` (the real router, default settings) over `count` generated JSON lines, per CPU-second,
    and its peak memory: run in a fresh process, so that what other figures loaded does not count."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl"
        write_messages(path, count)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            elapsed, counts, peak = pool.apply(_triage_file, (path,))
    print(f"  {sum(counts.values())} messages, by urgency {counts}, peak RSS {peak:.0f} MiB")
    return {"triage_msgs_per_s": count / elapsed, "triage_peak_rss_mib": peak}


def _triage_file(path: Path) -> tuple[float, dict, float]:
    """CPU seconds to triage `path`, the urgency counts, and this process's peak RSS in MiB."""
    started = time.process_time()
    with path.open("rb") as handle, open(os.devnull, "w") as sink:
        settings = load_settings(None)
        counts = triage(read_jsonl(handle), build_router(settings.router, settings.acknowledgments), sink)
    elapsed = time.process_time() - started
    return elapsed, dict(counts), _peak_rss_mib()


def _peak_rss_mib() -> float:
    """This process image's peak RSS (VmHWM): getrusage's maxrss would also count the parent it was forked from
    before it became a new process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


FIGURES = {"complaints": complaints, "crisis": crisis, "davidson": davidson, "written": written, "speed": speed,
           "threads": threads, "triage": triage_speed}


def main() -> None:
    """Run the chosen figures (all by default) and print them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(FIGURES), default=list(FIGURES))
    arguments = parser.parse_args()
    root = datasets_root()
    headline: dict[str, float] = {}
    for name in arguments.only:
        started = time.perf_counter()
        figures = FIGURES[name](root)
        for key, value in figures.items():
            print(f"{key} = {value:.4g}    ({COMMAND.format(name=name)}; {time.perf_counter() - started:.0f}s)")
        headline.update(figures)
    print(" ".join(f"{key}={value:.4g}" for key, value in headline.items()))


if __name__ == "__main__":
    main()
