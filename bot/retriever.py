"""Matching a message to knowledge entries: `fit(docs)` then `search(text, k)`.

TF-IDF (scikit-learn) over three views of every phrasing of every entry: jieba words
(and word pairs), characters (1–3-grams, to survive typos and odd segmentation) and
toneless pinyin syllables (to survive voice-input homophones). An entry scores by its
best phrasing. Pure: fitted on plain `(id, [phrasings])` pairs, no Flask, no database.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

ANSWER, CHOOSE, DECLINE = "answer", "choose", "decline"


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class Decision:
    """What the retriever recommends: answer hits[0], let the user choose, or decline."""

    action: str
    hits: tuple

    @property
    def best(self):
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class _Views:
    words: tuple
    chars: str
    syllables: tuple


def _word_features(views):
    words = views.words
    return list(words) + [a + "_" + b for a, b in zip(words, words[1:])]


def _char_features(views):
    text = views.chars
    return [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


def _syllable_features(views):
    syl = views.syllables
    return list(syl) + [a + "_" + b for a, b in zip(syl, syl[1:])]


class Retriever:
    """TF-IDF retriever with a confidence threshold and a margin rule.

    threshold: below this best score the bot declines rather than guess.
    margin: when the runner-up is within this of the best, the user chooses.
    weights: relative weight of the word, character and pinyin views.
    """

    def __init__(self, analyzer, threshold=0.35, margin=0.04, weights=(1.0, 1.0, 0.6)):
        self.analyzer = analyzer
        self.threshold = threshold
        self.margin = margin
        self.weights = weights

    # -- fitting -----------------------------------------------------------------------

    def _views(self, text):
        words = self.analyzer.words(text)
        return _Views(tuple(words), "".join(words), tuple(self.analyzer.syllables(words)))

    def fit(self, docs):
        """docs: iterable of (id, [phrasings]); each id's phrasings are indexed together."""
        ids, starts, views = [], [], []
        for doc_id, phrasings in docs:
            phrasings = [p for p in phrasings if p and p.strip()]
            if not phrasings:
                continue
            ids.append(doc_id)
            starts.append(len(views))
            views.extend(self._views(p) for p in phrasings)
        if not views:
            raise ValueError("nothing to index")
        self._vectorizers = [
            TfidfVectorizer(analyzer=feature, sublinear_tf=True, dtype=np.float32)
            for feature in (_word_features, _char_features, _syllable_features)
        ]
        blocks = [v.fit_transform(views) for v in self._vectorizers]
        self._matrix = self._combine(blocks).tocsc()
        self.ids = ids
        self._starts = np.asarray(starts)
        return self

    def _combine(self, blocks):
        total = np.sqrt(sum(w * w for w in self.weights))
        return sp.hstack([b * (w / total) for b, w in zip(blocks, self.weights)], format="csr")

    # -- searching ---------------------------------------------------------------------

    def scores(self, text):
        """Best-phrasing cosine similarity of the text to every entry, in `ids` order."""
        views = self._views(text)
        query = self._combine([v.transform([views]) for v in self._vectorizers])
        if query.nnz == 0:
            return np.zeros(len(self.ids), dtype=np.float32)
        # Touch only the columns the query has: an inverted-index product.
        columns = self._matrix[:, query.indices]
        row_scores = np.asarray(columns @ query.data).ravel()
        return np.maximum.reduceat(row_scores, self._starts)

    def search(self, text, k=3):
        scores = self.scores(text)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def decide(self, text, k=3):
        hits = tuple(self.search(text, k))
        if not hits or hits[0].score < self.threshold:
            return Decision(DECLINE, hits)
        close = [h for h in hits[1:] if hits[0].score - h.score < self.margin]
        if close:
            return Decision(CHOOSE, (hits[0], *close))
        return Decision(ANSWER, hits)
