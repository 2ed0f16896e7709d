"""Recognising the small talk of a conversation: thanks, OK words, greetings, goodbyes,
compliments, "who are you" and loneliness.

Learned, not listed: a character n-gram classifier (scikit-learn logistic regression)
fitted on `knowledge/smalltalk.tsv` (`kind<TAB>message`), where the kind `question`
holds short real questions that look like small talk, and every knowledge-base phrasing
is a `question` too. So "好的谢谢" and "晓得了 谢谢你哈" are thanks, while "谢谢你 微信字
怎么调大" stays a question. Pure: no Flask, no database.
"""

import math
from pathlib import Path

import numpy as np

from bot.search.nlp import message_key
from bot.search.textclass import read_labelled

QUESTION = "question"
KINDS = ("thanks", "ok", "greeting", "bye", "praise", "who", "lonely", QUESTION)
# Small talk is short; a long message is a story or a question whatever its words.
MAX_CHARS = 40
CONFIDENCE = 0.5


def read_examples(path):
    """[(kind, message)] from a `kind<TAB>message` file."""
    return read_labelled(path, KINDS)


def _ngrams(text):
    return [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


class SmallTalk:
    def __init__(self, confidence=CONFIDENCE, C=10.0):
        self.confidence = confidence
        self.C = C
        self._fitted = False

    @classmethod
    def from_file(cls, path, questions=(), **options):
        path = Path(path)
        examples = read_examples(path) if path.exists() else []
        return cls(**options).fit(examples, questions)

    def fit(self, examples, questions=()):
        """examples: [(kind, message)]; questions: more real questions (entry phrasings)."""
        texts = [message_key(m) for _, m in examples] + [message_key(q) for q in questions]
        labels = [k for k, _ in examples] + [QUESTION] * len(questions)
        pairs = [(t, k) for t, k in zip(texts, labels) if t]
        if len({k for _, k in pairs}) < 2:
            return self
        from sklearn.feature_extraction.text import TfidfVectorizer  # fitting only
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(analyzer=_ngrams, sublinear_tf=True)
        matrix = vectorizer.fit_transform([t for t, _ in pairs])
        model = LogisticRegression(C=self.C, max_iter=3000)
        model.fit(matrix, [k for _, k in pairs])
        # Only plain arrays are kept: a fitted matcher loads without scikit-learn.
        self._vocabulary = vectorizer.vocabulary_
        self._idf = vectorizer.idf_
        self._coef, self._intercept = model.coef_, model.intercept_
        self._classes = list(model.classes_)
        self._fitted = True
        return self

    def probabilities(self, text):
        """{kind: probability} for a message (empty when not fitted). Scored here with the
        fitted vocabulary, idf and weights: scikit-learn's per-call checks cost more than
        the arithmetic for one short text (the same result as predict_proba)."""
        if not self._fitted:
            return {}
        found = {}
        for gram in _ngrams(message_key(text)):
            j = self._vocabulary.get(gram)
            if j is not None:
                found[j] = found.get(j, 0) + 1
        columns = np.fromiter(found, dtype=np.int64, count=len(found))
        values = np.array([1.0 + math.log(n) for n in found.values()]) * self._idf[columns]
        norm = math.sqrt(float(values @ values)) or 1.0
        logits = self._coef[:, columns] @ (values / norm) + self._intercept
        logits = np.exp(logits - logits.max())
        return dict(zip(self._classes, logits / logits.sum()))

    def kind(self, text):
        """The small-talk kind of a message, or None for a question or anything long."""
        key = message_key(text)
        if not key or len(key) > MAX_CHARS or not self._fitted:
            return None
        probabilities = self.probabilities(key)
        kind = max(probabilities, key=probabilities.get)
        if kind == QUESTION or probabilities[kind] < self.confidence:
            return None
        return kind


# A broad matcher beside the learned one: a short message made only of small-talk words
# and fillers ("好的谢谢", "晓得了 谢谢你哈", "你真好 比我崽还耐烦") is small talk of its
# most telling kind; one content word ("谢谢 微信字怎么调大") and it is a question.
UNITS = {
    "thanks": ("谢谢", "多谢", "感谢", "谢了", "辛苦", "麻烦", "难为", "劳烦", "费心", "费神"),
    "bye": ("再见", "拜拜", "下次聊", "下次再问", "先这样", "去睡了", "睡觉去", "困觉", "晚安"),
    "praise": (
        "真好",
        "真棒",
        "厉害",
        "聪明",
        "耐心",
        "耐烦",
        "不错",
        "好人",
        "贴心",
        "清楚",
        "讲得好",
        "说得好",
        "能干",
        "好用",
        "灵光",
        "懂得多",
        "晓得的多",
    ),
    "greeting": (
        "你好",
        "您好",
        "在吗",
        "在不在",
        "早上好",
        "中午好",
        "下午好",
        "晚上好",
        "吃了没",
        "吃了吗",
        "吃饭了",
        "吃了冇",
        "恰了冇",
        "听得到",
        "听得见",
        "听到没",
        "有人吗",
        "喂",
    ),
    "ok": (
        "好的",
        "要得",
        "晓得",
        "知道",
        "明白",
        "收到",
        "懂了",
        "行",
        "可以",
        "嗯",
        "哦",
        "ok",
        "是的",
        "对的",
        "好嘞",
        "好",
        "中",
    ),
}
PRIORITY = ("thanks", "bye", "praise", "greeting", "ok")
FILLERS = frozenset(
    "了啊哈呀哦嘛呢吧吗的你您我们真太很蛮最还比都也就是个去咧嘞啦咯哟噢喔呐崽女孙儿"
)
COVER_CHARS = 20


def covered_kind(key):
    """The kind of a message made only of small-talk words and fillers, else None."""
    if not key or len(key) > COVER_CHARS:
        return None
    units = sorted(((u, k) for k in PRIORITY for u in UNITS[k]), key=lambda p: -len(p[0]))
    found, i = set(), 0
    while i < len(key):
        for unit, kind in units:
            if key.startswith(unit, i):
                found.add(kind)
                i += len(unit)
                break
        else:
            if key[i] not in FILLERS:
                return None
            i += 1
    return next((k for k in PRIORITY if k in found), None)
