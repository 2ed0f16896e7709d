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
import multiprocessing
import os
import random
import time
from dataclasses import dataclass

import mmh3
import numpy as np
import scipy.sparse as sp

from bot.search.textclass import NgramClassifier

ANSWER, CHOOSE, DECLINE = "answer", "choose", "decline"
# Why a question is declined: nothing in the base matches it well enough (an in-scope
# question without an entry, for the review queue), or it is outside what the bot is for.
NO_MATCH, OUT_OF_SCOPE = "no_match", "out_of_scope"


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class Decision:
    """What the retriever recommends: answer hits[0], let the user choose, or decline."""

    action: str
    hits: tuple
    reason: str = ""  # why it declines: NO_MATCH or OUT_OF_SCOPE

    @property
    def best(self):
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class Views:
    """A text as the retriever sees it: content words, their characters, their sounds."""

    words: tuple
    chars: str
    syllables: tuple


def _pairs(items):
    return list(items) + [a + "_" + b for a, b in zip(items, items[1:])]


def word_features(views):
    return _pairs(views.words)


def char_features(views):
    text = views.chars
    return [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


def syllable_features(views):
    return _pairs(views.syllables)


def single_words(views):
    return list(views.words)


def single_syllables(views):
    return list(views.syllables)


FEATURES = (word_features, char_features, syllable_features)
# Without word and syllable pairs (for the ablation in bench/ablation.py).
FEATURES_NO_PAIRS = (single_words, char_features, single_syllables)
HASH_FEATURES = 2**20  # per view; collisions are rare at this size
# A base with at least this many phrasings is built in parallel processes (its views and
# its hashing), and its in-scope classifier learns from a sample of SCOPE_SAMPLE of them.
LARGE = 20_000
SCOPE_SAMPLE = 50_000
CHUNK = 5_000
# Above this many stored values under a query's columns, the product is left to scipy.
LONG_POSTINGS = 10_000


class _Index:
    """One TF-IDF matrix over several views, L2-normalised per view and weighted.

    Fitted on hashed feature counts (`hashed_counts`), so a large index needs no
    vocabulary to build and sort. Only the hashed columns some document uses are kept,
    in `columns` (sorted), beside their idf: the matrix and its idf are the size of the
    base, not of the hash space. A feature the index never saw keeps the highest idf:
    it still counts in the query's length, so a question mostly about unknown things
    scores low. Queries are vectorised here directly, with the same hash (mmh3 is the
    same MurmurHash3 as scikit-learn's, without importing it) and idf: scikit-learn's
    transform() spends more time validating input than the matching takes.
    """

    def __init__(self, weights):
        total = math.sqrt(sum(w * w for w in weights))
        self.weights = [w / total for w in weights]

    def fit(self, counts):
        """counts: each view's documents × hashed features matrix of counts."""
        from sklearn.feature_extraction.text import TfidfTransformer

        blocks, idfs, used, self.unseen_idf = [], [], [], []
        for number, weight in enumerate(self.weights):
            view = counts[number].tocsc()
            tfidf = TfidfTransformer(sublinear_tf=True).fit(view)
            seen = np.flatnonzero(np.diff(view.indptr))
            blocks.append((tfidf.transform(view) * weight).tocsc()[:, seen])
            idfs.append(tfidf.idf_[seen].astype(np.float32))
            used.append(seen + number * HASH_FEATURES)
            self.unseen_idf.append(float(tfidf.idf_.max()))  # ln(1 + n) + 1: df of 0
        self.unseen_idf = np.asarray(self.unseen_idf, dtype=np.float32)
        self.view_weights = np.asarray(self.weights, dtype=np.float32)
        self.columns = np.concatenate(used).astype(np.int64)
        self.idf = np.concatenate(idfs)
        self.matrix = sp.hstack(blocks, format="csc")
        self.matrix.indices = self.matrix.indices.astype(np.int32)
        return self

    def scores(self, query):
        """Cosine similarity of a query (`hash_query`) to every row."""
        keys, counts, views = query
        rows = self.matrix.shape[0]
        if not len(keys):
            return np.zeros(rows, dtype=np.float32)
        at = np.minimum(np.searchsorted(self.columns, keys), len(self.columns) - 1)
        known = self.columns[at] == keys
        x = (1.0 + np.log(counts)) * np.where(known, self.idf[at], self.unseen_idf[views])
        norms = np.sqrt(np.bincount(views, weights=x * x, minlength=len(self.weights)))
        values = (x * (self.view_weights[views] / norms[views]))[known].astype(np.float32)
        return _column_product(self.matrix, at[known], values)


def hashed_counts(features, views):
    """Each view's texts × hashed features counts (scikit-learn's HashingVectorizer)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return [
        HashingVectorizer(
            analyzer=feature,
            n_features=HASH_FEATURES,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        ).transform(views)
        for feature in features
    ]


def _analyse_rows(shared, start, stop):
    """texts[start:stop] analysed: (each view's hashed counts, each text's characters).
    Only these go back from a forked process, never the views themselves."""
    retriever, texts = shared
    views = [retriever.views(text) for text in texts[start:stop]]
    return hashed_counts(retriever.features, views), [v.chars for v in views]


_SHARED = None


def _run_forked(task):
    function, start, stop = task
    return function(_SHARED, start, stop)


def forked_map(function, shared, count, chunk=CHUNK):
    """[function(shared, start, stop) for each chunk of range(count)], in one forked
    process per core. The children inherit `shared` through the fork, so only the
    results are sent back. For building a large base (bench/retrieval.py's 100,000
    entries, a staff import); a server's own index is far below LARGE."""
    global _SHARED
    _SHARED = shared
    tasks = [(function, start, min(start + chunk, count)) for start in range(0, count, chunk)]
    try:
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
            return pool.map(_run_forked, tasks)
    finally:
        _SHARED = None


def hash_query(features, views):
    """(hashed columns, their counts, their view's number): the query every index of a
    retriever scores, hashed once."""
    hashes, numbers = [], []
    for number, feature in enumerate(features):
        tokens = feature(views)
        hashes.extend(
            number * HASH_FEATURES + abs(mmh3.hash(t, seed=0)) % HASH_FEATURES for t in tokens
        )
        numbers.extend([number] * len(tokens))
    if not hashes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, dtype=np.float32), empty
    keys, first, counts = np.unique(
        np.asarray(hashes, dtype=np.int64), return_index=True, return_counts=True
    )
    return keys, counts.astype(np.float32), np.asarray(numbers)[first]


def _column_product(matrix, columns, values):
    """matrix[:, columns] @ values for a CSC matrix, touching only those columns' entries:
    an inverted-index product, without building the sliced matrix."""
    starts = matrix.indptr[columns]
    lengths = matrix.indptr[columns + 1] - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(matrix.shape[0], dtype=np.float32)
    if total > LONG_POSTINGS:  # a large base: scipy's slicing, in C, is faster there
        return np.asarray(matrix[:, columns] @ values).ravel()
    before = np.cumsum(lengths) - lengths
    at = np.arange(total) + np.repeat(starts - before, lengths)
    weights = matrix.data[at] * np.repeat(values, lengths)
    return np.bincount(matrix.indices[at], weights=weights, minlength=matrix.shape[0])


class Retriever:
    """TF-IDF retriever with a confidence threshold and a margin rule.

    threshold: below this best score the bot declines rather than guess.
    margin: when the runner-up is within this of the best, the user chooses.
    weights: relative weight of the word, character and pinyin views.
    entry_weight: share of the whole-entry score in the blend (the rest: best phrasing).
    pairs, stopwords: word and syllable pairs as features, stop words dropped. Both off:
        switching each off ranked better on both parts of our own questions
        (bench/ablation.py), and on the public check.
    in_scope_threshold: with out-of-scope examples given to `fit`, a message whose
        in-scope probability is below this is declined whatever it scores.
    The defaults are chosen on the dev part of tests/eval by bench/tune_retriever.py:
    the most answered right with at most 8% choices and 90% of out-of-scope declined.
    """

    def __init__(
        self,
        analyzer,
        threshold=0.19,
        margin=0.005,
        weights=(1.0, 1.0, 1.5),
        entry_weight=0.8,
        in_scope_threshold=0.15,
        pairs=False,
        stopwords=False,
    ):
        self.analyzer = analyzer
        self.threshold = threshold
        self.margin = margin
        self.weights = weights
        self.entry_weight = entry_weight
        self.in_scope_threshold = in_scope_threshold
        self.features = FEATURES if pairs else FEATURES_NO_PAIRS
        self.stopwords = stopwords
        self._in_scope = None

    def __getstate__(self):
        """Pickled without the analyser (jieba's dictionary): whoever loads a fitted
        retriever gives it theirs (bot.kb.index)."""
        return {name: value for name, value in self.__dict__.items() if name != "analyzer"}

    def views(self, text):
        words = self.analyzer.words(text) if self.stopwords else self.analyzer.tokens(text)
        return Views(tuple(words), "".join(words), tuple(self.analyzer.syllables(words)))

    def fit(self, docs, out_of_scope=()):
        """docs: iterable of (id, [phrasings]); each id's phrasings are indexed together.

        out_of_scope: questions the bot must decline. With them, a classifier learns what
        is in scope (every phrasing) from what is not, and `decide` declines the rest.
        """
        ids, starts, texts = [], [], []
        for doc_id, phrasings in docs:
            phrasings = [p for p in phrasings if p and p.strip()]
            if phrasings:
                ids.append(doc_id)
                starts.append(len(texts))
                texts.extend(phrasings)
        if not texts:
            raise ValueError("nothing to index")
        began = time.perf_counter()
        counts, chars = self._analyse(texts)
        analysed = time.perf_counter()
        # An entry's counts are the sum of its phrasings' counts: its phrasings as one
        # document, with no character n-grams made across the seams between them.
        lengths = np.diff([*starts, len(texts)])
        membership = sp.csr_matrix(
            (
                np.ones(len(texts), dtype=np.float32),
                (np.repeat(np.arange(len(ids)), lengths), np.arange(len(texts))),
            ),
            shape=(len(ids), len(texts)),
        )
        self._phrasings = _Index(self.weights).fit(counts)
        self._entries = _Index(self.weights).fit([membership @ view for view in counts])
        self.ids = ids
        self._starts = np.asarray(starts)
        indexed = time.perf_counter()
        out_of_scope = [self._plain(q) for q in out_of_scope if q.strip()]
        if out_of_scope:
            inside = chars
            if len(inside) > SCOPE_SAMPLE:  # what is in scope is clear from a sample
                inside = random.Random(0).sample(inside, SCOPE_SAMPLE)
            self._in_scope = NgramClassifier(class_weight="balanced").fit(
                inside + out_of_scope, [True] * len(inside) + [False] * len(out_of_scope)
            )
        # Where a build's time went (bench/retrieval.py prints it).
        self.fit_seconds = {
            "analysis": analysed - began,
            "indexes": indexed - analysed,
            "in-scope": time.perf_counter() - indexed,
        }
        return self

    def _analyse(self, texts):
        """(each view's hashed counts, characters) per text, in order. A text repeated
        across entries is analysed once, and a large base in parallel processes."""
        unique = list(dict.fromkeys(texts))
        if len(unique) >= LARGE and (os.cpu_count() or 1) > 1:
            parts = forked_map(_analyse_rows, (self, unique), len(unique))
            counts = [sp.vstack([part[0][n] for part in parts]) for n in range(len(self.features))]
            made = [c for part in parts for c in part[1]]
        else:
            counts, made = _analyse_rows((self, unique), 0, len(unique))
        if len(unique) == len(texts):
            return counts, made
        position = {text: number for number, text in enumerate(unique)}
        rows = np.fromiter((position[text] for text in texts), dtype=np.int64, count=len(texts))
        return [view[rows] for view in counts], [made[r] for r in rows]

    def _plain(self, text):
        return "".join(self.analyzer.words(text))

    def in_scope(self, text):
        """Probability that the text is a question the knowledge base is about (1 when
        fitted without out-of-scope examples)."""
        if self._in_scope is None:
            return 1.0
        return self._in_scope.probability(self._plain(text))

    def scores(self, text):
        """Every entry's score for the text, in `ids` order (0 to 1)."""
        hashed = hash_query(self.features, self.views(text))
        best = np.maximum.reduceat(self._phrasings.scores(hashed), self._starts)
        whole = self._entries.scores(hashed)
        return (1 - self.entry_weight) * best + self.entry_weight * whole

    def score_of(self, text, entry_id):
        """One entry's score for the text (0 for an id the index does not hold)."""
        try:
            position = self.ids.index(entry_id)
        except ValueError:
            return 0.0
        return float(self.scores(text)[position])

    def search(self, text, k=3):
        scores = self.scores(text)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def decide(self, text, k=3):
        hits = tuple(self.search(text, k))
        if self.in_scope(text) < self.in_scope_threshold:
            return Decision(DECLINE, hits, OUT_OF_SCOPE)
        if not hits or hits[0].score < self.threshold:
            return Decision(DECLINE, hits, NO_MATCH)
        close = [h for h in hits[1:] if hits[0].score - h.score < self.margin]
        if close:
            return Decision(CHOOSE, (hits[0], *close))
        return Decision(ANSWER, hits)
