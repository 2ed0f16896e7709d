"""Fraud-alarm recall and false alarms.

    python bench/fraud_alarm.py [--show]

Lines are `alarm<TAB>message` (a scam in progress) or `calm<TAB>message` (a calm
question about fraud or money). The alarm learns from knowledge/fraud_examples.tsv
(its settings chosen by cross-validation there); tests/eval/fraud_alarm_heldout.tsv was
written separately, without sight of the examples, and was never used for training or
choosing: it is the figure to report. (`--show` prints the training set's misses.)
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.alarm import FraudAlarm, read_examples  # noqa: E402
from tests.evalset import EVAL_DIR  # noqa: E402

PARTS = {
    "training": ROOT / "knowledge" / "fraud_examples.tsv",
    "held-out": EVAL_DIR / "fraud_alarm_heldout.tsv",
}


def load(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, _, text = line.partition("\t")
            yield label.strip(), text.strip()


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", action="store_true", help="print the cross-validated misses")
    args = parser.parse_args()
    alarm = FraudAlarm.from_file(PARTS["training"])
    examples = read_examples(PARTS["training"])
    print("\nfraud alarm: recall on scams in progress, false alarms on calm questions")
    print("(training: 5-fold cross-validated; held-out: fitted on all training examples)")
    print(f"{'set':<10} {'in progress':>11} {'recall':>7} {'calm':>5} {'false alarms':>13}")
    for part, name in PARTS.items():
        if not name.exists():
            print(f"{part:<10} missing: {name.name}")
            continue
        items = list(load(name))
        hot = [text for label, text in items if label == "alarm"]
        calm = [text for label, text in items if label == "calm"]
        if part == "training":  # each message judged by a model that never saw it
            said = cross_validated(examples)
        else:
            said = {text: alarm.is_alarm(text) for _, text in items}
        caught = [t for t in hot if said[t]]
        false = [t for t in calm if said[t]]
        print(
            f"{part:<10} {len(hot):>11} {len(caught) / len(hot):>7.1%} {len(calm):>5}"
            f" {len(false) / len(calm):>13.1%}"
        )
        if args.show and part == "training":
            for t in hot:
                if t not in caught:
                    print("   missed:", t)
            for t in false:
                print("   false alarm:", t)


if __name__ == "__main__":
    main()
