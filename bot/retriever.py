"""Matching a message to knowledge entries: `fit(docs)` then `search(text, k)`.

TF-IDF (scikit-learn) over three views of the text: jieba words (and word pairs),
characters (1–3-grams, to survive typos and odd segmentation) and toneless pinyin
syllables (to survive voice-input homophones). Two indexes are kept: every phrasing on
its own, and every entry as one document of all its phrasings. An entry's score blends
its best phrasing with the entry as a whole, which measured better than either alone:
a question that borrows words from several phrasings still meets its entry.

Pure: fitted on plain `(id, [phrasings])` pairs, no Flask, no database.
"""

import math
from collections import Counter
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
class Views:
    """A text as the retriever sees it: content words, their characters, their sounds."""

    words: tuple
    chars: str
    syllables: tuple

    @classmethod
    def join(cls, many):
        return cls(
            sum((v.words for v in many), ()),
            "|".join(v.chars for v in many),
            sum((v.syllables for v in many), ()),
        )


def _pairs(items):
    return list(items) + [a + "_" + b for a, b in zip(items, items[1:])]


def word_features(views):
    return _pairs(views.words)


def char_features(views):
    text = views.chars
    return [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


def syllable_features(views):
    return _pairs(views.syllables)


FEATURES = (word_features, char_features, syllable_features)


class _Index:
    """One TF-IDF matrix over several views, L2-normalised per view and weighted.

    Queries are vectorised with scikit-learn's fitted vocabulary and idf directly: its
    transform() spends more time validating input than the matching takes. A feature
    the index never saw counts with the highest idf in the query's length, so a question
    mostly about unknown things scores low.
    """

    def __init__(self, weights):
        total = math.sqrt(sum(w * w for w in weights))
        self.weights = [w / total for w in weights]

    def fit(self, views):
        vectorizers = [
            TfidfVectorizer(analyzer=f, sublinear_tf=True, dtype=np.float32) for f in FEATURES
        ]
        blocks = [v.fit_transform(views) * w for v, w in zip(vectorizers, self.weights)]
        self.matrix = sp.hstack(blocks, format="csc")
        offsets = np.cumsum([0] + [b.shape[1] for b in blocks])
        self.spaces = [
            (f, v.vocabulary_, v.idf_, float(v.idf_.max()), int(o), w)
            for f, v, o, w in zip(FEATURES, vectorizers, offsets, self.weights)
        ]
        return self

    def scores(self, views):
        """Cosine similarity of the query to every row."""
        columns, values = [], []
        for feature, vocabulary, idf, unseen_idf, offset, weight in self.spaces:
            found, unseen = [], 0.0
            for term, n in Counter(feature(views)).items():
                j = vocabulary.get(term)
                if j is None:
                    unseen += ((1.0 + math.log(n)) * unseen_idf) ** 2
                else:
                    found.append((j, (1.0 + math.log(n)) * idf[j]))
            if found:
                norm = math.sqrt(sum(x * x for _, x in found) + unseen)
                columns.extend(offset + j for j, _ in found)
                values.extend(weight * x / norm for _, x in found)
        if not columns:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        # Touch only the columns the query has: an inverted-index product.
        product = self.matrix[:, columns] @ np.asarray(values, dtype=np.float32)
        return np.asarray(product).ravel()


class Retriever:
    """TF-IDF retriever with a confidence threshold and a margin rule.

    threshold: below this best score the bot declines rather than guess.
    margin: when the runner-up is within this of the best, the user chooses.
    weights: relative weight of the word, character and pinyin views.
    entry_weight: share of the whole-entry score in the blend (the rest: best phrasing).
    The defaults are tuned on the dev part of tests/eval (see bench/retrieval.py).
    """

    def __init__(
        self, analyzer, threshold=0.139, margin=0.04, weights=(1.0, 1.0, 1.5), entry_weight=0.8
    ):
        self.analyzer = analyzer
        self.threshold = threshold
        self.margin = margin
        self.weights = weights
        self.entry_weight = entry_weight

    def views(self, text):
        words = self.analyzer.words(text)
        return Views(tuple(words), "".join(words), tuple(self.analyzer.syllables(words)))

    def fit(self, docs):
        """docs: iterable of (id, [phrasings]); each id's phrasings are indexed together."""
        ids, starts, views = [], [], []
        for doc_id, phrasings in docs:
            phrasings = [p for p in phrasings if p and p.strip()]
            if phrasings:
                ids.append(doc_id)
                starts.append(len(views))
                views.extend(self.views(p) for p in phrasings)
        if not views:
            raise ValueError("nothing to index")
        bounds = [*starts, len(views)]
        self._phrasings = _Index(self.weights).fit(views)
        self._entries = _Index(self.weights).fit(
            [Views.join(views[a:b]) for a, b in zip(bounds, bounds[1:])]
        )
        self.ids = ids
        self._starts = np.asarray(starts)
        return self

    def scores(self, text):
        """Every entry's score for the text, in `ids` order (0 to 1)."""
        views = self.views(text)
        best = np.maximum.reduceat(self._phrasings.scores(views), self._starts)
        whole = self._entries.scores(views)
        return (1 - self.entry_weight) * best + self.entry_weight * whole

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
