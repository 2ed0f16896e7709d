"""The bot as residents meet it: every blind-set message through the real dialogue.

    python bench/conversations.py [--show KIND]

Builds the service on a temporary database with the bundled knowledge base and sends each
message as a new resident would (conversations keep one resident across their turns), then
prints the figures the conversation issue sets targets for. The blind set was written
without sight of the knowledge base and is never tuned on: these figures predict what a
resident gets. `--show` prints the misses of one measure (inscope, decline, false_alarm,
alarm, emergency, smalltalk, followup) for reading, not for tuning.
"""

import argparse
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import create_app  # noqa: E402
from bot.chat.dialogue import Message  # noqa: E402
from tests import blindset  # noqa: E402

ANSWERED = ("answered", "emergency")
DECLINED = ("fallback", "declined")
SMALL_TALK_KINDS = ("thanks", "ok", "greeting", "goodbye", "compliment", "pick", "feedback")
RECOGNISED = ("smalltalk", "feedback", "topic", "choice_gone", "menu", "alarm_withdrawn")
TARGETS = {
    "right first reply": (0.90, ">="),
    "choices": (0.08, "<="),
    "decline recall": (0.95, ">="),
    "decline precision": (0.95, ">="),
    "false alarms": (0.01, "<="),
    "alarm recall": (0.98, ">="),
    "emergencies": (1.00, ">="),
    "small talk": (0.95, ">="),
    "follow-ups": (0.85, ">="),
}


@dataclass
class Result:
    value: float
    n: int
    misses: list


class Bot:
    """The service in-process, on a throwaway database."""

    def __init__(self, knowledge_dir=ROOT / "knowledge", services=None):
        if services is None:
            self._tmp = tempfile.TemporaryDirectory()
            app = create_app(
                {
                    "BOT_DATABASE": str(Path(self._tmp.name) / "bench.db"),
                    "KNOWLEDGE_DIR": str(knowledge_dir),
                    "INDEX_BACKGROUND": False,
                    "SECRET_KEY": "bench",
                    "ALLOW_DEMO_SECRETS": True,
                }
            )
            services = app.extensions["silverhelper"]
        self.services = services
        self._users = count()

    def new_user(self):
        return f"bench-{next(self._users)}"

    def say(self, text, user=None):
        return self.services.respond(Message(user or self.new_user(), "text", text=text))


def _share(good, items):
    return good / len(items) if items else float("nan")


def inscope(bot, items):
    """Right on the first reply, wrong answer, choice (and right among its options),
    wrong decline, swallowed as small talk: over labelled questions with an entry."""
    labelled = [i for i in items if i.labels and blindset.GAP not in i.labels]
    outcomes = Counter()
    misses = []
    for item in labelled:
        reply = bot.say(item.text)
        if reply.outcome in ANSWERED and reply.entry_id in item.labels:
            outcomes["right"] += 1
            outcomes["right, first edition"] += not item.gapfill
            continue
        if reply.outcome == "choice":
            outcomes["choice"] += 1
            outcomes["choice right"] += any(h.id in item.labels for h in reply.hits)
        elif reply.outcome in DECLINED:
            outcomes["declined"] += 1
        elif reply.outcome in ANSWERED:
            outcomes["wrong"] += 1
        else:
            outcomes[reply.outcome] += 1
        misses.append((item.text, sorted(item.labels), reply.outcome, reply.entry_id))
    return outcomes, len(labelled), misses


def declines(bot, items):
    misses = []
    for item in items:
        reply = bot.say(item.text)
        if reply.outcome not in DECLINED:
            misses.append((item.kind, item.text, reply.outcome, reply.entry_id))
    return Result(1 - _share(len(misses), items), len(items), misses)


def alarms(bot, items, want):
    misses = []
    for item in items:
        reply = bot.say(item.text)
        if reply.alarm != want:
            misses.append((item.kind, item.text, reply.outcome, reply.entry_id))
    return Result(
        _share(len(misses), items) if not want else 1 - _share(len(misses), items),
        len(items),
        misses,
    )


def emergencies(bot, items):
    misses = []
    for item in items:
        reply = bot.say(item.text)
        if not (reply.outcome == "emergency" and reply.text.startswith("【急救】马上打")):
            misses.append((item.kind, item.text, reply.outcome, reply.entry_id))
    return Result(1 - _share(len(misses), items), len(items), misses)


def small_talk(bot, items):
    talk = [i for i in items if i.kind in SMALL_TALK_KINDS]
    misses = []
    for item in talk:
        reply = bot.say(item.text)
        if reply.outcome not in RECOGNISED or reply.alarm:
            misses.append((item.kind, item.text, reply.outcome, reply.entry_id))
    return Result(1 - _share(len(misses), talk), len(talk), misses)


def follow_ups(bot, conversations):
    """Turns after the first: follow-ups and new questions answered with a right entry,
    small talk recognised. Turns whose label is a gap are left out."""
    judged, misses = 0, []
    for conversation in conversations:
        user = bot.new_user()
        for number, turn in enumerate(conversation.turns):
            reply = bot.say(turn.text, user)
            if number == 0 or turn.kind == "question":
                continue
            if turn.kind == "smalltalk":
                ok = reply.outcome in RECOGNISED
            elif not turn.labels or blindset.GAP in turn.labels:
                continue
            else:
                ok = reply.outcome in ANSWERED and reply.entry_id in turn.labels
            judged += 1
            if not ok:
                misses.append(
                    (
                        conversation.id,
                        turn.kind,
                        turn.text,
                        sorted(turn.labels),
                        reply.outcome,
                        reply.entry_id,
                    )
                )
    return Result(1 - _share(len(misses), range(judged)), judged, misses)


def _precision(outside, wrong_declines):
    """Of all declines (out-of-scope ones and in-scope questions with an entry), the
    share that should have been declined."""
    right = round(outside.value * outside.n)
    total = right + wrong_declines
    return Result(right / total if total else float("nan"), total, [])


def inscope_and_declines(bot):
    """The retrieval figures of the blind set: answers to in-scope questions, declines."""
    items = blindset.inscope()
    counts, n, misses = inscope(bot, items)
    first = sum(1 for i in items if i.labels and blindset.GAP not in i.labels and not i.gapfill)
    return {
        "right first reply": Result(_share(counts["right"], range(n)), n, misses),
        "  without gap-filled": Result(
            _share(counts["right, first edition"], range(first)), first, []
        ),
        "wrong answer": Result(_share(counts["wrong"], range(n)), n, []),
        "choices": Result(_share(counts["choice"], range(n)), n, []),
        "right among options": Result(
            _share(counts["choice right"], range(counts["choice"])), counts["choice"], []
        ),
        "wrong decline": Result(_share(counts["declined"], range(n)), n, []),
        "decline recall": (outside := declines(bot, blindset.load("out_of_scope"))),
        "decline precision": _precision(outside, counts["declined"]),
    }


def measure(bot=None):
    """Every figure of the blind set: {name: Result}."""
    bot = bot or Bot()
    ordinary = blindset.load("ordinary")
    figures = inscope_and_declines(bot)
    figures |= {
        "false alarms": alarms(bot, ordinary, want=False),
        "alarm recall": alarms(bot, blindset.load("scams"), want=True),
        "emergencies": emergencies(bot, blindset.load("emergencies")),
        "small talk": small_talk(bot, ordinary),
        "follow-ups": follow_ups(bot, blindset.conversations()),
    }
    return figures


def table(figures):
    lines = [f"{'measure':<22} {'figure':>7} {'n':>5} {'target':>8}"]
    for name, result in figures.items():
        target = TARGETS.get(name)
        mark = f"{target[1]} {target[0]:.0%}" if target else ""
        lines.append(f"{name:<22} {result.value:>7.1%} {result.n:>5} {mark:>8}")
    return "\n".join(lines)


MEASURES = {
    "inscope": "right first reply",
    "decline": "decline recall",
    "false_alarm": "false alarms",
    "alarm": "alarm recall",
    "emergency": "emergencies",
    "smalltalk": "small talk",
    "followup": "follow-ups",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", choices=sorted(MEASURES), help="print one measure's misses")
    args = parser.parse_args()
    figures = measure()
    print("\nthe blind set through the real dialogue (written without sight of the entries)")
    print(table(figures))
    if args.show:
        for miss in figures[MEASURES[args.show]].misses:
            print(" | ".join(str(x) for x in miss))


if __name__ == "__main__":
    main()
