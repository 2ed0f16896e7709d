"""Fraud-alarm recall and false alarms.

    python bench/fraud_alarm.py [--show] [--no-blind]

Lines are `alarm<TAB>message` (a scam in progress) or `calm<TAB>message` (an ordinary or
calm message). The alarm learns from knowledge/fraud_examples.tsv and fraud_*_more.tsv
(its settings chosen by cross-validation there, the first row). Two sets it never saw:
tests/eval/fraud_alarm_heldout.tsv (written separately from the examples, on the
classifier alone) and the blind set (tests/blind: ordinary.tsv and scams.tsv, written
without sight of anything here), through the real dialogue as residents meet it: numbered
picks, thanks and emergencies are understood before the alarm is considered.
(`--show` prints the cross-validated misses.)
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search.alarm import FraudAlarm, example_files, read_examples  # noqa: E402
from tests import blindset  # noqa: E402
from tests.evalset import EVAL_DIR  # noqa: E402

KB = ROOT / "knowledge"
HELD_OUT = EVAL_DIR / "fraud_alarm_heldout.tsv"


def cross_validated(examples, folds=5):
    """{message: alarm?} with each fold judged by a model fitted on the other folds."""
    said = {}
    for fold in range(folds):
        train = [e for i, e in enumerate(examples) if i % folds != fold]
        model = FraudAlarm().fit(train)
        for i, (_, text) in enumerate(examples):
            if i % folds == fold:
                said[text] = model.is_alarm(text)
    return said


def row(name, hot, calm, said):
    caught = [t for t in hot if said(t)]
    false = [t for t in calm if said(t)]
    print(
        f"{name:<22} {len(hot):>6} {len(caught) / len(hot):>7.1%} {len(calm):>6}"
        f" {len(false) / len(calm):>13.1%}"
    )
    return [t for t in hot if t not in caught], false


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", action="store_true", help="print the cross-validated misses")
    parser.add_argument("--no-blind", action="store_true", help="skip the blind set")
    args = parser.parse_args()
    examples = [e for path in example_files(KB) if path.exists() for e in read_examples(path)]
    alarm = FraudAlarm.from_directory(KB)
    print("\nfraud alarm: recall on scams in progress, false alarms on calm or ordinary messages")
    print(f"{'set':<22} {'scams':>6} {'recall':>7} {'calm':>6} {'false alarms':>13}")
    said = cross_validated(examples)
    missed, false = row(
        "training (5-fold CV)",
        [t for a, t in examples if a],
        [t for a, t in examples if not a],
        said.get,
    )
    held = read_examples(HELD_OUT)
    row(
        "held-out (classifier)",
        [t for a, t in held if a],
        [t for a, t in held if not a],
        alarm.is_alarm,
    )
    if not args.no_blind:
        from bench.conversations import Bot

        bot = Bot()
        scams = [i.text for i in blindset.load("scams")]
        ordinary = [i.text for i in blindset.load("ordinary")]
        row("blind (classifier)", scams, ordinary, alarm.is_alarm)
        row("blind (dialogue)", scams, ordinary, lambda t: bot.say(t).alarm)
    if args.show:
        for t in missed:
            print("   missed:", t)
        for t in false:
            print("   false alarm:", t)


if __name__ == "__main__":
    main()
