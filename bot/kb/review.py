"""The review queue: what residents asked that the knowledge base did not serve well.

Three kinds of question qualify: those the bot declined (fallback), those a resident
marked 没用, and those answered with a low score. Similar wordings are grouped
(`grouping.group_questions`), the most asked first, each group with the entries the
retriever suggests for it. A question staff have dealt with (added as a phrasing,
turned into an entry, dismissed) leaves the queue; asked again later, it comes back.
"""

import datetime
from dataclasses import dataclass, field

from bot import usage
from bot.search.grouping import group_questions
from bot.usage import LOCAL_TZ

REASON_NAMES = {"declined": "没答上", "useless": "被点了没用", "low": "把握不大"}
# Bound the work of one page view whatever the log holds.
MAX_ROWS = 20000


@dataclass
class QueueGroup:
    text: str  # the most asked wording
    count: int
    members: list  # (text, count), most asked first
    keys: list  # normalised texts, to mark the group handled
    reasons: dict  # reason -> count
    answered_with: list  # entry ids the bot answered these with (for 没用 / low score)
    suggestions: list = field(default_factory=list)  # (entry, score)


def question_key(analyzer, text):
    """One wording's identity in the queue: normalised (width, case, simplified, synonyms)."""
    return " ".join(analyzer.normalise(text or "").split())[:500]


def _handled(db):
    return {row["key"]: row["ts"] for row in db.query("select key, ts from review_handled")}


def collect(db, analyzer, low_score, days):
    """[(text, key, reason, entry_id)] for every qualifying question asked lately."""
    since = (datetime.datetime.now(LOCAL_TZ) - datetime.timedelta(days=days)).date().isoformat()
    handled = _handled(db)
    found = usage.questions_to_review(db, since, low_score, MAX_ROWS)
    items = []
    for ts, text, reason, entry_id in found:
        key = question_key(analyzer, text)
        if not key or (key in handled and handled[key] >= ts):
            continue
        items.append((text.strip(), key, reason, entry_id))
    return items


def build(db, analyzer, snapshot, low_score, days, threshold, limit=50):
    """The queue's groups, most asked first, each with suggested entries."""
    items = collect(db, analyzer, low_score, days)
    counts, texts, reasons, answered = {}, {}, {}, {}
    for text, key, reason, entry_id in items:
        # The wording shown for a key is the first (latest) one seen.
        texts.setdefault(key, text)
        counts[key] = counts.get(key, 0) + 1
        reasons.setdefault(key, {}).setdefault(reason, 0)
        reasons[key][reason] += 1
        if entry_id:
            answered.setdefault(key, set()).add(entry_id)
    by_text = {texts[key]: key for key in texts}
    groups = []
    for group in group_questions([(texts[k], n) for k, n in counts.items()], analyzer, threshold)[
        :limit
    ]:
        keys = [by_text[text] for text, _ in group.members]
        merged, entries = {}, set()
        for key in keys:
            for reason, n in reasons[key].items():
                merged[reason] = merged.get(reason, 0) + n
            entries |= answered.get(key, set())
        queue_group = QueueGroup(
            group.text, group.count, group.members, keys, merged, sorted(entries)
        )
        for hit in snapshot.retriever.search(group.text, 3):
            entry = snapshot.entry(hit.id)
            if entry is not None:
                queue_group.suggestions.append((entry, hit.score))
        groups.append(queue_group)
    return groups


def mark_handled(db, keys, user, action, entry_id=None):
    """Take these questions out of the queue (until they are asked again); commits."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    db["review_handled"].upsert_all(
        [
            {"key": key[:500], "ts": now, "user": user, "action": action, "entry_id": entry_id}
            for key in keys
            if key
        ],
        pk="key",
    )
    db.conn.commit()
