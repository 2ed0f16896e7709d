"""Fraud-alarm recall and false alarms.

    python bench/fraud_alarm.py [--show]

Lines are `alarm<TAB>message` (a scam in progress) or `calm<TAB>message` (a calm
question about fraud or money). The signs in knowledge/fraud_signals.yaml were tuned on
tests/eval/fraud_alarm.tsv. tests/eval/fraud_alarm_heldout.tsv was written separately,
without sight of the signs or of the tuning messages, and was never used for tuning: it
is the figure to report. (`--show` prints the tuning set's misses only.)
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.alarm import FraudAlarm  # noqa: E402
from tests.evalset import EVAL_DIR  # noqa: E402

PARTS = {"tuning": "fraud_alarm.tsv", "held-out": "fraud_alarm_heldout.tsv"}


def load(name):
    for line in (EVAL_DIR / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, _, text = line.partition("\t")
            yield label.strip(), text.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", action="store_true", help="print the tuning set's misses")
    args = parser.parse_args()
    alarm = FraudAlarm.from_file(ROOT / "knowledge" / "fraud_signals.yaml")
    print("\nfraud alarm: recall on scams in progress, false alarms on calm questions")
    print(f"{'set':<10} {'in progress':>11} {'recall':>7} {'calm':>5} {'false alarms':>13}")
    for part, name in PARTS.items():
        if not (EVAL_DIR / name).exists():
            print(f"{part:<10} missing: tests/eval/{name}")
            continue
        items = list(load(name))
        hot = [text for label, text in items if label == "alarm"]
        calm = [text for label, text in items if label == "calm"]
        caught = [t for t in hot if alarm.is_alarm(t)]
        false = [t for t in calm if alarm.is_alarm(t)]
        print(
            f"{part:<10} {len(hot):>11} {len(caught) / len(hot):>7.1%} {len(calm):>5}"
            f" {len(false) / len(calm):>13.1%}"
        )
        if args.show and part != "held-out":
            for t in hot:
                if t not in caught:
                    print("   missed:", t)
            for t in false:
                print("   false alarm:", t)


if __name__ == "__main__":
    main()
