"""What to say: turns one user message into one reply.

Knows retrieval (through the live index), the fraud alarm and storage (conversation
state, feedback), never the wire protocol: the webhook and the staff "try it" page call
the same `Dialogue.respond`.
"""

import copy
import datetime
import re
import time
from dataclasses import dataclass

import numpy as np

from bot import usage
from bot.chat import conversation, texts
from bot.kb.entries import CATEGORIES, CATEGORY_NAMES
from bot.outcomes import MATCHED, Outcome
from bot.privacy import mask_numbers, user_hash
from bot.search.alarm import signs as scam_signs
from bot.search.nlp import message_key
from bot.search.retriever import ANSWER, CHOOSE, OUT_OF_SCOPE, Decision, Hit
from bot.search.smalltalk import covered_kind
from bot.usage import LOCAL_TZ

# Messages longer than this are matched on their beginning: a question does not need
# more, and it keeps matching fast whatever arrives.
MATCH_CHARS = 300
# WeChat shows at most 2,048 bytes of a text reply; a page leaves room for its footer.
PAGE_BYTES = 1900
# A numbered choice is valid 30 minutes; a number after that gets "those options have
# expired" for a while, then is an ordinary message again.
CHOICE_SECONDS = 30 * 60
CHOICE_GONE_SECONDS = 6 * 3600
PAGES_SECONDS = 30 * 60
FEEDBACK_SECONDS = 30 * 60
# What we are talking about: short follow-ups within this time are read with it.
CONTEXT_SECONDS = 10 * 60
FOLLOWUP_CHARS = 16
# A follow-up that matches this well on its own is a new question, not a follow-up; and
# read with the last question, the entry it lands on must share something with the
# follow-up itself, or an unrelated message ("明天下雨吗") would be captured by the topic.
# Both chosen on our own follow-up set (tests/eval/followups.jsonl, bench/followups.py).
FOLLOWUP_NEW_SCORE = 0.40
FOLLOWUP_OWN_SCORE = 0.15
FOLLOWUP_CONTEXT_WEIGHT = 1.0
# Longer than this, a message the in-scope gate declines on its own is not a follow-up.
FOLLOWUP_GATE_CHARS = 0
# An alarm is not repeated within this time unless new signs of a scam appear.
ALARM_SECONDS = 10 * 60
# The 有用/没用 footer is shown at most once in this time, not under every answer.
ASK_FEEDBACK_SECONDS = 30 * 60
# Messages to search for the best entry of one category (alarm, emergency).
CATEGORY_K = 40

# The menu's numbers: the categories in their order, with their one name.
TOPICS = {str(n): (c, CATEGORY_NAMES[c]) for n, c in enumerate(CATEGORIES, 1)}
# Custom-menu CLICK keys (menu.json) and topic words typed by users.
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
    "用手机": "1",
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
    "便民服务": "5",
}
MENU_WORDS = {"菜单", "帮助", "你好", "您好", "在吗", "在不在", "hi", "hello", "menu", "开始"}
HUMAN_WORDS = {"人工", "客服", "找人", "人工服务", "转人工", "真人", "找客服", "工作人员"}
MORE_WORDS = {"继续", "下一页", "还有呢", "接着说", "后面呢", "下一部分", "继续说"}
USEFUL_WORDS = {"有用", "有帮助", "有效", "管用", "好用", "有用的", "很有用", "蛮有用", "用得上"}
USELESS_WORDS = {
    "没用",
    "没有用",
    "冇用",
    "无用",
    "不管用",
    "没帮助",
    "不对",
    "答非所问",
    "说得不对",
    "讲得不对",
    "看不懂",
    "没看懂",
    "不是这个",
    "不是我问的",
}
# "我没被骗" / "不是诈骗": the resident withdraws an alarm; we apologise and go on.
_DENIAL = re.compile(
    r"^(我)?(没|没有|冇|不是|并没有|又没)(被|遇到|碰到)?(骗|诈骗|骗子)(了|啊|呀|的)?"
)
SMALL_TALK = {
    "thanks": {"谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "辛苦了", "太感谢了"},
    "who": {"你是谁", "你是哪个", "你叫什么", "你是什么", "你是机器人吗", "你是人吗"},
    "meal": {"你吃饭了吗", "吃了吗", "吃饭了吗", "你吃了吗", "吃饭没"},
    "morning": {"早上好", "早", "早安", "上午好"},
    "night": {"晚上好", "晚安", "下午好"},
    "bye": {"再见", "拜拜", "拜", "下次聊"},
    "ok": {"好的", "好", "知道了", "晓得了", "明白了", "嗯", "哦", "ok", "好嘞", "行", "要得"},
    "praise": {"你真棒", "真厉害", "你真好", "不错"},
}
# What the learned matcher's kinds are answered with (the lexicon's finer kinds win).
LEARNED_KINDS = {
    "thanks": "thanks",
    "ok": "ok",
    "greeting": "greeting",
    "bye": "bye",
    "praise": "praise",
    "who": "who",
    "lonely": "lonely",
}
_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CHOICE = re.compile(
    r"^(?:我)?(?:要|选|选择)?(?:第|选)?([1-6一二两三四五六])(?:个|号|条|项)?(?:吧|啊|的)?$"
)


@dataclass(frozen=True)
class Message:
    """A user's message, whatever the protocol: kind is text, voice, image, video,
    shortvideo, location, link, event or unknown."""

    user: str
    kind: str
    text: str = ""
    event: str = ""
    event_key: str = ""
    media_url: str = ""  # a picture's PicUrl
    media_id: str = ""


@dataclass(frozen=True)
class Reply:
    text: str  # "" means nothing is shown to the user
    outcome: Outcome  # stored in the usage log as its plain name
    entry_id: str = None
    score: float = None
    category: str = None
    transfer: bool = False
    alarm: bool = False  # a scam in progress: the reply leads with the alarm
    hits: tuple = ()  # the retriever's ranked hits, for staff pages (runners-up)


def _key(text):
    return message_key(text)


def choice_number(text):
    """1–6 from '2', '２', '第二个', '第一個', '选3', '要第一个'; None for anything else."""
    match = _CHOICE.match(_key(text))
    if not match:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _NUMERALS[token]


def small_talk_kind(key):
    for kind, phrases in SMALL_TALK.items():
        if key in phrases:
            return kind
    return None


def paginate(text, limit=PAGE_BYTES):
    """Split at line (step) boundaries so every page fits the reply limit."""
    pages, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line.encode("utf-8")) > limit:  # one very long line: cut it
            cut = line.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
            if current:
                pages.append(current)
                current = ""
            pages.append(cut)
            line = line[len(cut) :]
        if len((current + line).encode("utf-8")) > limit:
            pages.append(current)
            current = ""
        current += line
    if current:
        pages.append(current)
    return [p.strip("\n") for p in pages if p.strip()]


class Dialogue:
    def __init__(self, index, alarm, settings, emergency=None, small_talk=None, clock=time.time):
        self.index = index
        self.alarm = alarm
        self.emergency = emergency
        self.small_talk = small_talk
        self.settings = settings
        self.clock = clock  # tests control time through this
        self._most_asked = {}

    def respond(self, message, db, open_db=None):
        """The reply; conversation state and feedback are written to db (not committed)."""
        reply, write = self.decide(message, db, open_db)
        write(db)
        return reply

    def decide(self, message, db, open_db=None):
        """(reply, write): the reply, read-only work, and a function that writes what the
        turn changed (conversation state, feedback) to a database. Kept apart so that a
        database that cannot be written loses the state, never the reply."""
        turn = _Turn(self, message, db, open_db)
        # Never echo back a phone, ID-card or bank-card number the user typed.
        reply = _masked(turn.reply())
        return reply, turn.write

    def most_asked(self, db, category, limit, days=90, cache_seconds=600):
        """The category's most answered entries lately; counted at most every 10 minutes."""
        cached = self._most_asked.get(category)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        since = (datetime.datetime.now(LOCAL_TZ) - datetime.timedelta(days=days)).date()
        ids = usage.most_answered(db, category, since, limit)
        self._most_asked[category] = (time.monotonic() + cache_seconds, ids)
        return ids

    def human_contact(self):
        parts = [
            v for v in (self.settings.get("SERVICE_HOURS"), self.settings.get("SERVICE_PHONE")) if v
        ]
        return "\n".join(parts)

    def small_talk_of(self, text):
        """The small-talk kind of a message (a key of texts.SMALL_TALK), or None."""
        key = _key(text)
        lexical = small_talk_kind(key) or LEARNED_KINDS.get(covered_kind(key))
        if lexical:
            return lexical
        if self.small_talk is None:
            return None
        return LEARNED_KINDS.get(self.small_talk.kind(text))


def _masked(reply):
    masked = mask_numbers(reply.text)
    if masked == reply.text:
        return reply
    return Reply(**{**reply.__dict__, "text": masked})


class _Turn:
    """One message's handling, with the user's state loaded."""

    def __init__(self, dialogue, message, db, open_db):
        self.dialogue = dialogue
        self.message = message
        self.now = dialogue.clock()
        self.user = user_hash(message.user, dialogue.settings["USER_HASH_KEY"])
        self.state = conversation.load(db, self.user, self.now)
        self.loaded = copy.deepcopy(self.state)
        self.feedback_rows = []
        # Fetched once: a background rebuild swapping the index mid-turn must not change
        # which entries this turn sees.
        self.snapshot = dialogue.index.current(db, open_db)
        self.db = db

    def write(self, db):
        """Store what this turn changed; the caller commits."""
        if self.state != self.loaded:
            conversation.save(db, self.user, self.state, self.now)
        for row in self.feedback_rows:
            usage.record_feedback(db, *row)

    def reply(self):
        kind = self.message.kind
        if kind == "event":
            return self.event()
        if kind == "voice" and not self.message.text.strip():
            return Reply(texts.VOICE_UNRECOGNISED, Outcome.VOICE_UNRECOGNISED)
        if kind in ("text", "voice"):
            return self.text(self.message.text)
        if kind == "image":
            return Reply(texts.IMAGE, Outcome.MEDIA)
        if kind in ("video", "shortvideo"):
            return Reply(texts.VIDEO, Outcome.MEDIA)
        if kind == "location":
            return Reply(texts.LOCATION, Outcome.MEDIA)
        if kind == "link":
            return self.link(self.message.text)
        # A type WeChat added after this code was written: show nothing, never an error.
        return Reply("", Outcome.UNKNOWN)

    # -- events ------------------------------------------------------------------------

    def event(self):
        event = self.message.event
        if event in ("subscribe", "subscribe_scan", "scan"):
            self.state.pop("choices", None)
            return Reply(texts.WELCOME, Outcome.GREETING)
        if event == "click":
            topic = MENU_KEYS.get(self.message.event_key)
            if topic:
                return self.topic(topic)
            if self.message.event_key == "HUMAN":
                return self.human()
            self.state.pop("choices", None)
            return Reply(texts.MENU, Outcome.MENU)
        # unsubscribe, view and everything else: nothing to show.
        return Reply("", Outcome.EVENT)

    # -- text --------------------------------------------------------------------------

    def text(self, text):
        """The order matters: what the resident means by a short word (a pick, thanks,
        feedback, the menu) is settled before any alarm is considered, and an emergency
        comes before everything that could answer with a menu."""
        text = (text or "").strip()
        key = _key(text)
        if not key:
            return Reply(texts.EMPTY, Outcome.EMPTY)
        number = choice_number(key)
        if number is not None:
            picked = self.pick(number)
            if picked is not None:
                return picked
        if key in MORE_WORDS:
            return self.next_page()
        if key in USEFUL_WORDS | USELESS_WORDS:
            return self.feedback(useful=key in USEFUL_WORDS)
        if key in HUMAN_WORDS:
            return self.human()
        if key in MENU_WORDS:
            self.state.pop("choices", None)
            return Reply(texts.MENU, Outcome.MENU)
        topic = key if key in TOPICS else TOPIC_WORDS.get(key)
        if topic:
            return self.topic(topic)
        denial = _DENIAL.match(key)
        if denial:
            return self.withdraw_alarm(text, key[denial.end() :])
        emergency = self.dialogue.emergency and self.dialogue.emergency.detect(text[:MATCH_CHARS])
        if emergency:
            return self.emergency(emergency, text)
        talk = self.dialogue.small_talk_of(text)
        if talk:
            return Reply(texts.SMALL_TALK[talk], Outcome.SMALLTALK)
        if self.dialogue.alarm.is_alarm(text[:MATCH_CHARS]):
            found = scam_signs(text[:MATCH_CHARS])
            earlier = set(self.state.get("alarm", {}).get("signs", ()))
            if not earlier or found - earlier:
                return self.fraud_alarm(text, found | earlier)
        return self.search(text)

    def pick(self, number):
        """A number: the pending choice, "those options expired", or None to read the
        message otherwise (a menu topic, a question)."""
        choices = self.state.get("choices")
        if choices and choices.get("valid_until", choices["until"]) >= self.now:
            return self.chosen(number)
        if choices:
            self.state.pop("choices")
            return Reply(texts.CHOICE_GONE, Outcome.CHOICE_GONE)
        # No list is waiting: a number is the main menu's topic, as the menu says.
        return self.topic(str(number)) if str(number) in TOPICS else None

    def search(self, text):
        prefix = texts.TOO_LONG_NOTE if len(text) > MATCH_CHARS else ""
        retriever = self.snapshot.retriever
        decision = retriever.decide(text[:MATCH_CHARS])
        context = self.context()
        if context and len(_key(text)) <= FOLLOWUP_CHARS:
            alone_is_new = decision.action == ANSWER and decision.best.score >= FOLLOWUP_NEW_SCORE
            outside = decision.reason == OUT_OF_SCOPE and len(_key(text)) > FOLLOWUP_GATE_CHARS
            followed = None
            if not (alone_is_new or outside):
                followed = self.follow_up(text, context["question"])
            if followed is not None:
                decision = followed
        hits = decision.hits
        if decision.action == ANSWER:
            return self.answer(decision.best.id, decision.best.score, text, prefix, hits)
        if decision.action == CHOOSE:
            return self.offer([h.id for h in hits], text, hits)
        self.state.pop("choices", None)
        best = decision.best
        score = best.score if best else None
        if decision.reason == OUT_OF_SCOPE:
            return Reply(texts.out_of_scope(_key(text)), Outcome.DECLINED, score=score, hits=hits)
        return Reply(texts.FALLBACK, Outcome.FALLBACK, score=score, hits=hits)

    def follow_up(self, text, context):
        """A short message read with the last topic: each entry scores what the message
        says plus a share of what the last question said, so "有冇老人优惠" after a
        train-ticket answer lands on the train entry about older passengers. The entry
        must share something with the message itself, or "明天下雨吗" would be captured."""
        retriever = self.snapshot.retriever
        alone = retriever.scores(text)
        blended = alone + FOLLOWUP_CONTEXT_WEIGHT * retriever.scores(context)
        blended[alone < FOLLOWUP_OWN_SCORE] = -1.0
        best = int(np.argmax(blended))
        if blended[best] < 0:
            return None
        hit = Hit(retriever.ids[best], float(alone[best]))
        return Decision(ANSWER, (hit,))

    def context(self):
        """The last answer, while a follow-up may still refer to it."""
        last = self.state.get("last")
        if last and last.get("at", 0) + CONTEXT_SECONDS >= self.now and last.get("context"):
            return {"entry": last["entry"], "question": last["context"]}
        return None

    def answer(self, entry_id, score, question, prefix="", hits=(), lead="", alarm=False):
        entry = self.snapshot.entry(entry_id)
        self.state.pop("choices", None)
        self.state["last"] = conversation.part(
            {
                "entry": entry.id,
                "question": mask_numbers(question)[:500],
                "context": entry.question + " " + mask_numbers(question)[:MATCH_CHARS],
                "at": self.now,
            },
            FEEDBACK_SECONDS,
            self.now,
        )
        body = lead + prefix + entry.answer
        text = self.paged(body, self.footer())
        return Reply(
            text,
            Outcome.ANSWERED,
            entry_id=entry.id,
            score=score,
            category=entry.category,
            hits=hits,
            alarm=alarm,
        )

    def footer(self):
        """The 有用/没用 question, at most once in a while: under every answer it costs a
        screen at 关怀模式 size."""
        if "asked" in self.state:
            return ""
        self.state["asked"] = conversation.part({}, ASK_FEEDBACK_SECONDS, self.now)
        return texts.FOOTER

    def paged(self, body, footer):
        """The first page of body (with footer when it is the only one); the rest waits
        for 继续."""
        if len((body + footer).encode("utf-8")) <= PAGE_BYTES + 100:
            self.state.pop("pages", None)
            return body + footer
        pages = paginate(body, PAGE_BYTES - len(texts.MORE.encode("utf-8")))
        self.state["pages"] = conversation.part(
            {"rest": pages[1:], "footer": footer}, PAGES_SECONDS, self.now
        )
        return pages[0] + texts.MORE

    def next_page(self):
        pages = self.state.get("pages")
        if not pages or not pages["rest"]:
            return Reply(texts.NO_MORE, Outcome.PAGE)
        page, rest = pages["rest"][0], pages["rest"][1:]
        if rest:
            self.state["pages"] = conversation.part(dict(pages, rest=rest), PAGES_SECONDS, self.now)
            return Reply(page + texts.MORE, Outcome.PAGE)
        self.state.pop("pages", None)
        return Reply(page + pages["footer"], Outcome.PAGE)

    def offer(self, ids, question, hits=()):
        snapshot = self.snapshot
        ids = [i for i in ids if snapshot.entry(i)]
        self.state["choices"] = conversation.part(
            {
                "ids": ids,
                "question": mask_numbers(question)[:500],
                "valid_until": self.now + CHOICE_SECONDS,
            },
            CHOICE_GONE_SECONDS,
            self.now,
        )
        options = "\n".join(f"{n}. {snapshot.entry(i).question}" for n, i in enumerate(ids, 1))
        best = hits[0] if hits else None
        return Reply(
            texts.CHOOSE.format(options=options),
            Outcome.CHOICE,
            score=best.score if best else None,
            hits=hits,
        )

    def chosen(self, number):
        choices = self.state.pop("choices")
        ids = choices["ids"]
        if not 1 <= number <= len(ids) or self.snapshot.entry(ids[number - 1]) is None:
            self.state["choices"] = choices
            options = "、".join(str(n) for n in range(1, len(ids) + 1))
            return Reply(f"请回复 {options} 中的一个数字。", Outcome.CHOICE)
        return self.answer(ids[number - 1], None, choices.get("question", ""))

    def topic(self, number, limit=6):
        category, title = TOPICS[number]
        snapshot = self.snapshot
        ids = [i for i in self.dialogue.most_asked(self.db, category, limit) if snapshot.entry(i)]
        for entry in snapshot.entries.values():
            if len(ids) >= limit:
                break
            if entry.category == category and entry.id not in ids:
                ids.append(entry.id)
        self.state["choices"] = conversation.part(
            {"ids": ids, "question": "", "valid_until": self.now + CHOICE_SECONDS},
            CHOICE_GONE_SECONDS,
            self.now,
        )
        options = "\n".join(f"{n}. {snapshot.entry(i).question}" for n, i in enumerate(ids, 1))
        return Reply(
            texts.TOPIC.format(title=title, options=options), Outcome.TOPIC, category=category
        )

    def best_of(self, category, text):
        """The best entry of one category for the text, if it matches at all well."""
        retriever = self.snapshot.retriever
        for hit in retriever.search(text[:MATCH_CHARS], CATEGORY_K):
            entry = self.snapshot.entry(hit.id)
            if entry is not None and entry.category == category:
                return hit if hit.score >= retriever.threshold else None
        return None

    def fraud_alarm(self, text, found):
        self.state["alarm"] = conversation.part({"signs": sorted(found)}, ALARM_SECONDS, self.now)
        hit = self.best_of("fraud", text)
        lead = texts.ALARM + "\n\n"
        if hit is not None:
            return self.answer(hit.id, hit.score, text, lead=lead, alarm=True, hits=(hit,))
        self.state.pop("choices", None)
        return Reply(texts.ALARM, Outcome.ALARM, category="fraud", alarm=True)

    def withdraw_alarm(self, text, rest):
        """ "我没被骗": sorry for the fright, and on with the question if there is one."""
        self.state.pop("alarm", None)
        if len(rest) >= 4:
            reply = self.search(text)
            if reply.outcome in MATCHED:
                return Reply(**{**reply.__dict__, "text": texts.ALARM_WITHDRAWN + reply.text})
        return Reply(texts.ALARM_WITHDRAWN + texts.ASK_ON, Outcome.ALARM_WITHDRAWN)

    def emergency(self, emergency, text):
        """马上打120 and the first thing to do, then the best first-aid entry; never a
        choice, never "I don't know"."""
        lead = texts.EMERGENCY.format(call=emergency.call, step=emergency.first_step)
        hit = self.best_of("health", text)
        if hit is not None:
            reply = self.answer(hit.id, hit.score, text, lead=lead + "\n\n", hits=(hit,))
            return Reply(**{**reply.__dict__, "outcome": Outcome.EMERGENCY})
        self.state.pop("choices", None)
        return Reply(lead, Outcome.EMERGENCY, category="health")

    def feedback(self, useful):
        last = self.state.pop("last", None)
        if last is None:
            return Reply(texts.FEEDBACK_NO_ANSWER, Outcome.FEEDBACK)
        local = datetime.datetime.now(LOCAL_TZ)
        self.feedback_rows.append(
            [
                local.astimezone(datetime.UTC).isoformat(timespec="seconds"),
                local.date().isoformat(),
                self.user,
                last["entry"],
                int(useful),
                last["question"],
            ]
        )
        text = texts.THANKS_USEFUL if useful else texts.THANKS_USELESS
        return Reply(text, Outcome.FEEDBACK, entry_id=last["entry"])

    def human(self):
        self.state.pop("choices", None)
        if self.dialogue.settings.get("HUMAN_TRANSFER"):
            return Reply(texts.HUMAN_TRANSFERRED, Outcome.HUMAN, transfer=True)
        contact = self.dialogue.human_contact()
        if contact:
            return Reply(texts.HUMAN_OFFLINE.format(contact=contact), Outcome.HUMAN)
        return Reply(texts.HUMAN_NO_CONTACT, Outcome.HUMAN)

    def link(self, title):
        """A forwarded article: its title may match a rumour entry."""
        if title.strip():
            decision = self.snapshot.retriever.decide(title[:MATCH_CHARS])
            if decision.action == ANSWER:
                entry = self.snapshot.entry(decision.best.id)
                if entry.category == "rumour":
                    return self.answer(entry.id, decision.best.score, title, hits=decision.hits)
        return Reply(texts.LINK, Outcome.MEDIA)
