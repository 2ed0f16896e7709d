"""Matching a message to knowledge entries: `fit(docs)` then `search(text, k)`.

TF-IDF (scikit-learn) over three views of every phrasing of every entry: jieba words
(and word pairs), characters (1–3-grams, to survive typos and odd segmentation) and
toneless pinyin syllables (to survive voice-input homophones). An entry scores by its
best phrasing. Pure: fitted on plain `(id, [phrasings])` pairs, no Flask, no database.
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
class _Views:
    words: tuple
    chars: str
    syllables: tuple


def _word_features(views):
    words = views.words
    return list(words) + [a + "_" + b for a, b in zip(words, words[1:])]


def _char_ngrams(sizes):
    def features(views):
        text = views.chars
        return [text[i : i + n] for n in sizes for i in range(len(text) - n + 1)]

    return features


def _syllable_features(views):
    syl = views.syllables
    return list(syl) + [a + "_" + b for a, b in zip(syl, syl[1:])]


class Retriever:
    """TF-IDF retriever with a confidence threshold and a margin rule.

    threshold: below this best score the bot declines rather than guess.
    margin: when the runner-up is within this of the best, the user chooses.
    weights: relative weight of the word, character and pinyin views.
    """

    def __init__(
        self,
        analyzer,
        threshold=0.144,
        margin=0.04,
        weights=(1.0, 1.0, 1.5),
        char_sizes=(1, 2, 3),
        entry_weight=0.8,
    ):
        self.analyzer = analyzer
        self.threshold = threshold
        self.margin = margin
        self.weights = weights
        self._features = (_word_features, _char_ngrams(char_sizes), _syllable_features)
        self.entry_weight = entry_weight

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
            for feature in self._features
        ]
        blocks = [v.fit_transform(views) for v in self._vectorizers]
        self._matrix = self._combine(blocks).tocsc()
        # For queries: scikit-learn's vocabulary and idf, applied without its per-call
        # validation, which costs more than the matching itself.
        total = np.sqrt(sum(w * w for w in self.weights))
        offsets = np.cumsum([0] + [b.shape[1] for b in blocks])
        # A feature the index never saw gets the highest idf: it still counts in the
        # query's length, so a question mostly about unknown things scores low.
        self._query_spaces = [
            (feature, v.vocabulary_, v.idf_, float(v.idf_.max()), int(offset), weight / total)
            for feature, v, offset, weight in zip(
                self._features, self._vectorizers, offsets, self.weights
            )
        ]
        self.ids = ids
        self._starts = np.asarray(starts)
        if self.entry_weight:
            # Each entry as one document of all its phrasings: a question that borrows
            # words from several phrasings still meets the entry.
            bounds = list(starts) + [len(views)]
            merged = [
                _Views(
                    sum((v.words for v in views[a:b]), ()),
                    "|".join(v.chars for v in views[a:b]),
                    sum((v.syllables for v in views[a:b]), ()),
                )
                for a, b in zip(bounds, bounds[1:])
            ]
            self._entry_vectorizers = [
                TfidfVectorizer(analyzer=f, sublinear_tf=True, dtype=np.float32)
                for f in self._features
            ]
            eblocks = [v.fit_transform(merged) for v in self._entry_vectorizers]
            self._entry_matrix = self._combine(eblocks).tocsc()
            eoffsets = np.cumsum([0] + [b.shape[1] for b in eblocks])
            self._entry_spaces = [
                (f, v.vocabulary_, v.idf_, float(v.idf_.max()), int(o), w / total)
                for f, v, o, w in zip(
                    self._features, self._entry_vectorizers, eoffsets, self.weights
                )
            ]
        return self

    def _combine(self, blocks):
        total = np.sqrt(sum(w * w for w in self.weights))
        return sp.hstack([b * (w / total) for b, w in zip(blocks, self.weights)], format="csr")

    # -- searching ---------------------------------------------------------------------

    def scores(self, text):
        """Best-phrasing cosine similarity of the text to every entry, in `ids` order."""
        views = self._views(text)
        columns, values = self._query_vector(views, self._query_spaces)
        if not columns:
            return np.zeros(len(self.ids), dtype=np.float32)
        # Touch only the columns the query has: an inverted-index product.
        row_scores = self._matrix[:, columns] @ np.asarray(values, dtype=np.float32)
        best = np.maximum.reduceat(np.asarray(row_scores).ravel(), self._starts)
        if not self.entry_weight:
            return best
        columns, values = self._query_vector(views, self._entry_spaces)
        whole = np.asarray(
            self._entry_matrix[:, columns] @ np.asarray(values, dtype=np.float32)
        ).ravel()
        return (1 - self.entry_weight) * best + self.entry_weight * whole

    def _query_vector(self, views, spaces):
        """The query's TF-IDF vector as (columns, values): sublinear tf × idf, each view
        L2-normalised and weighted, exactly as `fit` built the index."""
        columns, values = [], []
        for feature, vocabulary, idf, unseen_idf, offset, weight in spaces:
            found, unseen = [], 0.0
            for term, n in Counter(feature(views)).items():
                j = vocabulary.get(term)
                if j is None:
                    unseen += ((1.0 + math.log(n)) * unseen_idf) ** 2
                else:
                    found.append((j, (1.0 + math.log(n)) * idf[j]))
            if not found:
                continue
            norm = math.sqrt(sum(x * x for _, x in found) + unseen)
            columns.extend(offset + j for j, _ in found)
            values.extend(weight * x / norm for _, x in found)
        return columns, values

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
