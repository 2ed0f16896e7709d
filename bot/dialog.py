"""What to say: turns one user message into one reply.

Knows retrieval (through the live index) and storage, never the wire protocol: the
webhook and the staff "try it" page call the same `Dialogue.respond`.
"""

import re
from dataclasses import dataclass

from . import texts
from .retriever import ANSWER, CHOOSE

# Messages longer than this are matched on their beginning: a question does not need
# more, and it keeps matching fast whatever arrives.
MATCH_CHARS = 300

TOPICS = {
    "1": ("smartphone", "手机和微信"),
    "2": ("fraud", "防诈骗"),
    "3": ("health", "健康知识"),
    "4": ("rumour", "辟谣"),
    "5": ("services", "便民电话"),
}
# Custom-menu CLICK keys (see `menu.json`) and topic words typed by users.
MENU_KEYS = {
    "TOPIC_PHONE": "1",
    "TOPIC_FRAUD": "2",
    "TOPIC_HEALTH": "3",
    "TOPIC_RUMOUR": "4",
    "TOPIC_SERVICES": "5",
}
TOPIC_WORDS = {
    "手机": "1",
    "微信": "1",
    "手机和微信": "1",
    "防诈骗": "2",
    "诈骗": "2",
    "防骗": "2",
    "反诈": "2",
    "健康": "3",
    "健康知识": "3",
    "辟谣": "4",
    "谣言": "4",
    "便民电话": "5",
    "电话": "5",
    "热线": "5",
}
MENU_WORDS = {"菜单", "帮助", "你好", "您好", "在吗", "hi", "hello", "?", "？", "menu"}
_PUNCT = re.compile(r"[\s，。！？!?,.~～、]+")


@dataclass(frozen=True)
class Message:
    """A user's message, whatever the protocol: kind is text, voice, image, video,
    shortvideo, location, link, event or unknown."""

    user: str
    kind: str
    text: str = ""
    event: str = ""
    event_key: str = ""


@dataclass(frozen=True)
class Reply:
    text: str  # "" means nothing is shown to the user
    outcome: str  # answered, choice, fallback, greeting, menu, topic, media, event, ...
    entry_id: str = None
    score: float = None
    category: str = None
    transfer: bool = False
    alarm: bool = False  # a scam in progress: the reply leads with the alarm
    hits: tuple = ()  # the retriever's ranked hits, for staff pages (runners-up)


class Dialogue:
    def __init__(self, index):
        self.index = index

    def respond(self, message, db, open_db=None):
        kind = message.kind
        if kind == "event":
            return self._event(message, db, open_db)
        if kind == "voice":
            if not message.text.strip():
                return Reply(texts.VOICE_UNRECOGNISED, "voice_unrecognised")
            return self._text(message.text, db, open_db)
        if kind == "text":
            return self._text(message.text, db, open_db)
        if kind == "image":
            return Reply(texts.IMAGE, "media")
        if kind in ("video", "shortvideo"):
            return Reply(texts.VIDEO, "media")
        if kind == "location":
            return Reply(texts.LOCATION, "media")
        if kind == "link":
            return self._link(message, db, open_db)
        # A type WeChat added after this code was written: show nothing, never an error.
        return Reply("", "unknown")

    # -- events ------------------------------------------------------------------------

    def _event(self, message, db, open_db):
        event = message.event
        if event in ("subscribe", "subscribe_scan", "scan"):
            return Reply(texts.WELCOME, "greeting")
        if event == "click":
            topic = MENU_KEYS.get(message.event_key)
            if topic:
                return self._topic(topic, db, open_db)
            return Reply(texts.MENU, "menu")
        # unsubscribe, view and everything else: nothing to show.
        return Reply("", "event")

    # -- text --------------------------------------------------------------------------

    def _text(self, text, db, open_db):
        text = (text or "").strip()
        if not text:
            return Reply(texts.EMPTY, "empty")
        key = _PUNCT.sub("", text).lower()
        if key in MENU_WORDS:
            return Reply(texts.MENU, "menu")
        topic = key if key in TOPICS else TOPIC_WORDS.get(key)
        if topic:
            return self._topic(topic, db, open_db)
        prefix = texts.TOO_LONG_NOTE if len(text) > MATCH_CHARS else ""
        snapshot = self.index.current(db, open_db)
        decision = snapshot.retriever.decide(text[:MATCH_CHARS])
        if decision.action in (ANSWER, CHOOSE):
            hit = decision.best
            entry = snapshot.entry(hit.id)
            return Reply(
                prefix + entry.answer + texts.FOOTER,
                "answered",
                entry_id=entry.id,
                score=hit.score,
                category=entry.category,
            )
        best = decision.best
        return Reply(texts.FALLBACK, "fallback", score=best.score if best else None)

    def _link(self, message, db, open_db):
        """A forwarded article: its title may match a rumour entry."""
        if message.text.strip():
            snapshot = self.index.current(db, open_db)
            decision = snapshot.retriever.decide(message.text[:MATCH_CHARS])
            if decision.action == ANSWER:
                entry = snapshot.entry(decision.best.id)
                if entry.category == "rumour":
                    return Reply(
                        entry.answer + texts.FOOTER,
                        "answered",
                        entry_id=entry.id,
                        score=decision.best.score,
                        category=entry.category,
                    )
        return Reply(texts.LINK, "media")

    def _topic(self, number, db, open_db, limit=6):
        category, title = TOPICS[number]
        snapshot = self.index.current(db, open_db)
        popular = [
            row["entry_id"]
            for row in db.query(
                "select entry_id, count(*) as n from messages where category = ?"
                " and entry_id is not null group by entry_id order by n desc limit ?",
                [category, limit],
            )
        ]
        ids = [i for i in popular if snapshot.entry(i)]
        for entry in snapshot.entries.values():
            if len(ids) >= limit:
                break
            if entry.category == category and entry.id not in ids:
                ids.append(entry.id)
        lines = [f"· {snapshot.entry(i).question}" for i in ids]
        body = texts.TOPIC_HEADER.format(title=title) + "\n".join(lines)
        return Reply(body + "\n直接把问题发给我就行。", "topic", category=category)
