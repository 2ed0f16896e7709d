"""Spotting a scam in progress, so the reply can lead with an unmistakable alarm.

The signs live in `knowledge/fraud_signals.yaml`, where staff can read and extend them.
A calm question about fraud ("怎么防诈骗") must not raise the alarm; a message showing
someone acting on the user right now ("警察让我把钱转到安全账户") must.
"""

import re
from pathlib import Path

import yaml

from .nlp import basic_normalise

# Questions about how things work: a calm question, unless an alarm-alone sign is present.
_CALM_QUESTION = re.compile(
    r"(什么是|是什么|什么意思|么子意思|啥意思|怎么防|如何防|怎么识别|怎么辨别|怎么看出|怎么装|怎么下载|"
    r"怎么教|怎么跟.{0,4}说|有什么特点|有哪些|会不会|是不是真的|是真的吗|怎么知道|怎么回事|"
    r"能不能告诉|要不要钱|要.{0,4}吗$|防着|提防|预防|教我怎么|怎么看)"
)

# A story that ends "是不是真的" is still a story; calm questions are short.
CALM_QUESTION_CHARS = 24

# Not happening now: a hypothetical, something already refused or long past, hearsay,
# or a question about what a thing is. Calm, unless the user is clearly in it now.
_NOT_NOW = re.compile(
    r"^(要是|如果|假如|万一|假设)|有没有.{0,10}这种|这种东西|是不是肯定|"
    r"我?没理|直接(挂|删|拉黑)|没上当|没有上当|没转|拒绝了|"
    r"去年|前几年|以前有|上个月|那次|"
    r"^听说|我听说|听人说|听别人说|电视里|电视上|新闻里|新闻上|广播里|海报|"
    r"是啥意思|是么子东西|到底是|一般怎么|一般是|靠谱吗|值钱吗|只是想了解|要注意|注意啥|注意么子|"
    r"当时就挂|我当时挂了|接到过|没叫我|没让我|没要我|是正常的吧|正常吗|我就是好奇|"
    r"(他|她)收到了|在我旁边|当面|流程是|正规的"
)
# Family asking in person is not a stranger acting on the user.
_FAMILY_ASKS = re.compile(r"(儿子|女儿|闺女|孙子|孙女|外孙|老伴|女婿|儿媳)(叫|让|要|教)我")
_NOW = re.compile(r"(现在(?!还放)|正在|还在|等我|马上|这会|刚刚|刚才)")

# Someone acting on this very user: overrides the calm-question form.
_ACTING_ON_ME = re.compile(
    r"((让|叫|要|要求|逼|催)我(?![爸妈儿女孙老家])|我(已经|刚|现在|正在|马上)|对方|他说|她说)"
)


class FraudAlarm:
    def __init__(self, someone_is_acting, risky_move, alarm_alone):
        self._acting = _compile(someone_is_acting)
        self._risky = _compile(risky_move)
        self._alone = _compile(alarm_alone)

    @classmethod
    def from_file(cls, path):
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(data["someone_is_acting"], data["risky_move"], data["alarm_alone"])

    def is_alarm(self, text):
        text = _FAMILY_ASKS.sub("", basic_normalise(text).replace(" ", ""))
        if not text:
            return False
        if _NOT_NOW.search(text) and not _NOW.search(text):
            return False
        if (
            len(text) <= CALM_QUESTION_CHARS
            and _CALM_QUESTION.search(text)
            and not _ACTING_ON_ME.search(text)
        ):
            return False  # a short question about how things work
        if self._alone.search(text):
            return True
        return bool(self._acting.search(text) and self._risky.search(text))

    def explain(self, text):
        """Which signs matched: for tuning the signs file."""
        text = basic_normalise(text).replace(" ", "")
        return {
            name: (m.group(0) if m else None)
            for name, m in (
                ("acting", self._acting.search(text)),
                ("risky", self._risky.search(text)),
                ("alone", self._alone.search(text)),
                ("calm", _CALM_QUESTION.search(text)),
            )
        }


def _compile(patterns):
    return re.compile("|".join(f"(?:{p})" for p in patterns))
