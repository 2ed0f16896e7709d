"""Family guardians (亲情守护): a child or a village volunteer hears in time.

A resident sends 绑定家人 and gets a six-digit code; the family member, following the same
account, sends 守护 <code> <称呼>; the resident is asked and only 同意 binds (up to three).
When the fraud alarm fires for the resident, or the resident asks for a person, each
guardian gets a short message (what kind of thing, when, "call him") — never the
resident's words — at most once in 10 minutes, through the outbox after the reply.
Either side ends it with 解除绑定. Off unless GUARDIANS is on.
"""

import datetime
import re

from bot.chat import texts
from bot.guardians import outbox, store
from bot.privacy import seal
from bot.search.nlp import basic_normalise, message_key

BIND_WORDS = {"绑定家人", "亲情守护", "绑定亲人", "家人守护"}
UNBIND_WORDS = {"解除绑定", "取消绑定", "解绑"}
LIST_WORDS = {"我守护的家人", "守护的家人", "我守护的人"}
YES, NO = {"同意", "我同意", "同意的", "可以", "要得"}, {"不同意", "不要", "拒绝", "我不同意"}
_GUARD = re.compile(r"^守护\s*(\d{6})\s*(.{0,12})$")
_NOTE = re.compile(r"^转告\s*(.{1,200})$", re.S)
# A scanned binding QR code: SCAN gives "guard_123456", subscribe "qrscene_guard_123456".
_SCENE = re.compile(r"guard_(\d{6})$")
QR_PURPOSE = "qrcode"
MENU_KEY = "GUARDIAN_BIND"
LOCAL = datetime.timezone(datetime.timedelta(hours=8))


class Guardians:
    def __init__(self, settings):
        self.key = settings["USER_HASH_KEY"]

    @staticmethod
    def may_be_command(message):
        """Whether `reply` could answer the message: the words alone decide, so every
        other message passes without opening a transaction."""
        if message.kind == "event":
            return (message.event == "click" and message.event_key == MENU_KEY) or bool(
                _SCENE.search(message.event_key or "")
            )
        if message.kind not in ("text", "voice"):
            return False
        key = message_key(message.text)
        return (
            key in BIND_WORDS | YES | NO | UNBIND_WORDS | LIST_WORDS
            or bool(_GUARD.match(basic_normalise(message.text)) or _GUARD.match(key))
            or bool(_NOTE.match(message.text.strip()))
        )

    def reply(self, db, user, user_hash, message):
        """The reply when the message is a guardian command, else None. Writes go into
        the caller's transaction."""
        if message.kind == "event":
            if message.event == "click" and message.event_key == MENU_KEY:
                return self._code(db, user, user_hash)
            scanned = _SCENE.search(message.event_key or "")
            if message.event in ("subscribe_scan", "scan") and scanned:
                return self._guard(db, user, user_hash, scanned.group(1), "")
            return None
        if message.kind not in ("text", "voice"):
            return None
        plain = basic_normalise(message.text)
        key = message_key(message.text)
        if key in BIND_WORDS:
            return self._code(db, user, user_hash)
        found = _GUARD.match(plain) or _GUARD.match(key)
        if found:
            return self._guard(db, user, user_hash, found.group(1), found.group(2).strip())
        if key in YES | NO:
            request = store.pending_request(db, user_hash)
            if request is not None:
                return self._answer(db, request, key in YES)
            return None
        if key in UNBIND_WORDS:
            return self._unbind(db, user_hash)
        if key in LIST_WORDS:
            return self._list(db, user_hash)
        note = _NOTE.match(message.text.strip())
        if note and store.guarded_by(db, user_hash):
            return self._note(db, user_hash, note.group(1).strip())
        return None

    def _code(self, db, user, user_hash):
        sealed = seal(user, self.key)
        code = store.new_code(db, user_hash, sealed, self.key)
        # The QR code (scene guard_<code>) is made and sent by the outbox worker: the reply
        # never waits on WeChat's API.
        outbox.enqueue(db, sealed, user_hash, QR_PURPOSE, f"guard_{code}")
        return texts.GUARDIAN_CODE.format(code=code)

    def _guard(self, db, user, user_hash, code, name):
        if not store.may_try(db, user_hash):
            return texts.GUARDIAN_TOO_MANY_TRIES
        found = store.use_code(db, code, self.key)
        if found is None:
            return texts.GUARDIAN_CODE_WRONG
        resident_hash, resident_sealed = found
        if resident_hash == user_hash:
            return texts.GUARDIAN_CODE_WRONG
        name = name or "您的家人"
        store.ask(db, resident_hash, resident_sealed, user_hash, seal(user, self.key), name)
        outbox.enqueue(
            db, resident_sealed, resident_hash, "consent", texts.GUARDIAN_CONSENT.format(name=name)
        )
        return texts.GUARDIAN_ASKED

    def _answer(self, db, request, yes):
        store.drop_request(db, request["resident_hash"], request["guardian_hash"])
        to = (request["guardian_sealed"], request["guardian_hash"])
        if not yes:
            outbox.enqueue(db, *to, "refused", texts.GUARDIAN_REFUSED_NOTICE)
            return texts.GUARDIAN_REFUSED
        if len(store.guardians_of(db, request["resident_hash"])) >= store.MAX_GUARDIANS:
            return texts.GUARDIAN_FULL
        store.bind(db, request)
        outbox.enqueue(db, *to, "bound", texts.GUARDIAN_BOUND_NOTICE)
        return texts.GUARDIAN_BOUND.format(name=request["guardian_name"])

    def _unbind(self, db, user_hash):
        guardians = store.unbind_resident(db, user_hash)
        for row in guardians:
            outbox.enqueue(
                db,
                row["guardian_sealed"],
                row["guardian_hash"],
                "unbound",
                texts.GUARDIAN_UNBOUND_NOTICE,
            )
        guarded = store.unbind_guardian(db, user_hash)
        if not guardians and not guarded:
            return texts.GUARDIAN_NONE
        who = "、".join(r["guardian_name"] for r in guardians) or "您的家人"
        return texts.GUARDIAN_UNBOUND.format(who=who)

    def _list(self, db, user_hash):
        rows = store.guarded_by(db, user_hash)
        if not rows:
            return texts.GUARDIAN_NONE
        lines = []
        for n, row in enumerate(rows, 1):
            alerts = store.last_alerts(db, row["resident_hash"])
            last = "；".join(_when(a["at"]) + _what(a["kind"]) for a in alerts) or "还没有提醒"
            lines.append(f"{n}. 从 {row['since']} 起守护。最近提醒：{last}")
        return texts.GUARDIAN_LIST.format(count=len(rows), lines="\n".join(lines))

    def _note(self, db, user_hash, note):
        for row in store.guarded_by(db, user_hash):
            text = texts.GUARDIAN_NOTE.format(name=row["guardian_name"], note=note[:200])
            outbox.enqueue(db, row["resident_sealed"], row["resident_hash"], "note", text)
        return texts.GUARDIAN_NOTE_SENT

    def alert(self, db, resident_hash, kind, now=None):
        """Queue a message to each guardian (at most one alert per 10 minutes);
        True when the family was told."""
        guardians = store.guardians_of(db, resident_hash)
        if not guardians or not store.may_alert(db, resident_hash, kind, now):
            return False
        text = texts.GUARDIAN_ALERT.format(time=_when(now), what=_what(kind))
        for row in guardians:
            outbox.enqueue(db, row["guardian_sealed"], row["guardian_hash"], "alert", text, now)
        return True


def _when(at=None):
    moment = datetime.datetime.fromtimestamp(at, LOCAL) if at else datetime.datetime.now(LOCAL)
    return moment.strftime("%m月%d日%H:%M")


def _what(kind):
    return texts.GUARDIAN_ALERT_SCAM if kind == "scam" else texts.GUARDIAN_ALERT_HUMAN
