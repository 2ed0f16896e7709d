"""Is this message a scam? — for a text read off a forwarded screenshot.

Not the alarm's question ("is a scam happening to me now") but the message's own: a fake
ETC or 医保 notice, a refund "客服", a prize link, a loan offer, a "new number" relative.
A character n-gram classifier (scikit-learn) learned from `knowledge/sms_examples.tsv`
(`scam|ordinary<TAB>text`), helped by link checks: a shortened link, an official-sounding
name with a domain that is not the official one, "回复T退订" beside a link. Pure.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from bot.search.nlp import message_key
from bot.search.textclass import NgramClassifier, read_labelled

SCAM, ORDINARY, UNREADABLE = "scam", "ordinary", "unreadable"
THRESHOLD = 0.5
WITH_LINK_SIGNS = 0.3
MIN_CHARS = 8

_URL = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,10}(?:/[\w./?=&%-]*)?", re.I)
SHORTENERS = ("t.cn", "dwz.cn", "bit.ly", "suo.im", "is.gd", "u.nu", "url.cn", "tb.cn", "dwz.win")
OFFICIAL = ("95599.cn", "10086.cn", "189.cn", "10010.com", "12306.cn", "gov.cn", "chinatax.gov.cn")
KINDS = (
    ("ETC 认证", ("etc",)),
    ("冒充医保、社保", ("医保", "社保")),
    ("冒充公检法", ("公安", "洗钱", "检察", "法院", "通缉")),
    ("冒充亲友借钱", ("换号", "新号码", "爸", "妈", "急用钱")),
    ("快递理赔", ("快递", "理赔", "包裹")),
    ("冒充客服退款", ("退款", "客服", "订单异常")),
    ("积分兑换", ("积分", "兑换", "清零")),
    ("贷款", ("贷款", "秒批", "无抵押", "额度")),
    ("投资理财", ("股票", "投资", "内幕", "收益", "带你赚")),
    ("冒充电力公司", ("电网", "电费", "停电")),
    ("退税", ("退税",)),
    ("冒充铁路12306", ("12306", "列车", "退票")),
    ("冒充补贴发放", ("补贴", "申领")),
    ("中奖", ("中奖", "奖品", "领奖")),
    ("刷单兼职", ("刷单", "兼职", "佣金")),
)


@dataclass(frozen=True)
class Judgement:
    verdict: str  # scam | ordinary | unreadable
    kind: str  # what sort of scam, for the reply and the reports ("" if none)
    probability: float


def read_examples(path):
    """[(is_scam, text)] from a `scam|ordinary<TAB>text` file."""
    return [(label == SCAM, text) for label, text in read_labelled(path, (SCAM, ORDINARY))]


def link_signs(text):
    """Names of the link signs in a text."""
    found = set()
    lowered = text.lower()
    domains = [m.group(0).lower() for m in _URL.finditer(text)]
    if domains:
        found.add("link")
    if any(s in d for d in domains for s in SHORTENERS):
        found.add("short link")
    if "【" in text and domains and not any(o in d for d in domains for o in OFFICIAL):
        found.add("official name, unknown domain")
    if re.search(r"回复?\s*t\s*退订", lowered) and domains:
        found.add("退订 lure")
    return found


def kind_of(text):
    lowered = text.lower()
    return next((name for name, words in KINDS if any(w in lowered for w in words)), "诈骗短信")


class SmsJudge:
    def __init__(self, threshold=THRESHOLD):
        self.threshold = threshold
        self._classifier = None

    @classmethod
    def from_file(cls, path, **options):
        path = Path(path)
        return cls(**options).fit(read_examples(path) if path.exists() else [])

    def fit(self, examples):
        if len({label for label, _ in examples}) == 2:
            self._classifier = NgramClassifier((1, 3), 30.0).fit(
                [message_key(t) for _, t in examples], [label for label, _ in examples]
            )
        return self

    def judge(self, text):
        text = (text or "").strip()
        if len(message_key(text)) < MIN_CHARS:
            return Judgement(UNREADABLE, "", 0.0)
        probability = self._classifier.probability(message_key(text)) if self._classifier else 0
        signs = link_signs(text)
        strong = signs & {"short link", "official name, unknown domain", "退订 lure"}
        scam = probability >= self.threshold or (
            probability >= WITH_LINK_SIGNS and (strong or "link" in signs)
        )
        if scam:
            return Judgement(SCAM, kind_of(text), probability)
        return Judgement(ORDINARY, "", probability)
