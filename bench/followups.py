"""Follow-ups on our own conversations: choose how short messages use the last topic.

    python bench/followups.py

tests/eval/followups.jsonl holds two-turn conversations written against the entries
(a question, then a follow-up or an unrelated new question, with the entry that should
answer it); our own out-of-scope questions asked after a topic must still be declined.
Grid over FOLLOWUP_NEW_SCORE, FOLLOWUP_OWN_SCORE, FOLLOWUP_CONTEXT_WEIGHT and
FOLLOWUP_GATE_CHARS (bot/chat/dialogue.py), on the mean of the two shares; prints each pair's
share handled right, best first. The blind set's conversations are only reported
(bench/conversations.py).
"""

import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversations import ANSWERED, DECLINED, Bot  # noqa: E402
from bot import dialog  # noqa: E402
from tests import evalset  # noqa: E402

FOLLOWUPS = evalset.EVAL_DIR / "followups.jsonl"


def cases():
    items = [
        json.loads(line) for line in FOLLOWUPS.read_text(encoding="utf-8").splitlines() if line
    ]
    outside = [q for e, q in evalset.load() if e == evalset.DECLINE and len(q) <= 16]
    firsts = [c["turns"][0] for c in items]
    items += [
        {"turns": [firsts[n % len(firsts)], q], "expected": None} for n, q in enumerate(outside)
    ]
    return items


def right_share(bot, items):
    good = 0
    for case in items:
        user = bot.new_user()
        bot.say(case["turns"][0], user)
        reply = bot.say(case["turns"][1], user)
        if case["expected"] is None:
            good += reply.outcome in DECLINED
        else:
            good += reply.outcome in ANSWERED and reply.entry_id == case["expected"]
    return good / len(items)


def main():
    bot, items = Bot(), cases()
    results = []
    follow = [c for c in items if c["expected"] is not None]
    outside = [c for c in items if c["expected"] is None]
    grid = itertools.product((0.3, 0.4), (0.1, 0.15, 0.2), (0.5, 1.0), (0, 4, 6, 10))
    for new, own, weight, gate in grid:
        dialog.FOLLOWUP_NEW_SCORE, dialog.FOLLOWUP_OWN_SCORE = new, own
        dialog.FOLLOWUP_CONTEXT_WEIGHT, dialog.FOLLOWUP_GATE_CHARS = weight, gate
        right, declined = right_share(bot, follow), right_share(bot, outside)
        results.append(((right + declined) / 2, right, declined, new, own, weight, gate))
    print(f"\nfollow-ups on our own conversations ({len(follow)} follow-ups or new questions,")
    print(f"{len(outside)} out-of-scope questions after a topic); the mean of the two, best first")
    header = ("mean", 6), ("follow", 6), ("declined", 8), ("new", 5), ("own", 5), ("context", 7)
    print(" ".join(f"{name:>{width}}" for name, width in header), f"{'gate':>4}")
    for mean, right, declined, new, own, weight, gate in sorted(results, reverse=True)[:8]:
        print(
            f"{mean:>6.1%} {right:>6.1%} {declined:>8.1%} {new:>5.2f} {own:>5.2f}"
            f" {weight:>7.2f} {gate:>4}"
        )


if __name__ == "__main__":
    main()
