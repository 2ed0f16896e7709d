"""Baseline retrievers for bench/retrieval.py, in the same fit / scores shape.

Each indexes every phrasing and scores an entry by its best phrasing, like ours, so
the comparison isolates what the text analysis adds.
"""

import logging

import bm25s
import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

jieba.setLogLevel(logging.WARNING)


class _ByBestPhrasing:
    def fit(self, docs):
        self.ids, starts, texts = [], [], []
        for doc_id, phrasings in docs:
            self.ids.append(doc_id)
            starts.append(len(texts))
            texts.extend(phrasings)
        self._starts = np.asarray(starts)
        self._fit(texts)
        return self

    def scores(self, text):
        return np.maximum.reduceat(self._row_scores(text), self._starts)


class WordTfidf(_ByBestPhrasing):
    """TF-IDF over jieba's default segmentation, nothing else."""

    name = "word TF-IDF"

    def _fit(self, texts):
        self._vec = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=True)
        self._matrix = self._vec.fit_transform(texts)

    def _row_scores(self, text):
        return (self._matrix @ self._vec.transform([text]).T).toarray().ravel()


class CharTfidf(WordTfidf):
    """TF-IDF over character 1–3-grams of the raw text."""

    name = "char TF-IDF"

    def _fit(self, texts):
        self._vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
        self._matrix = self._vec.fit_transform(texts)


class Bm25(_ByBestPhrasing):
    """BM25 (bm25s) over jieba tokens."""

    name = "BM25 (bm25s)"

    def _fit(self, texts):
        self._model = bm25s.BM25()
        self._model.index([jieba.lcut(t.lower()) for t in texts], show_progress=False)

    def _row_scores(self, text):
        return np.asarray(self._model.get_scores(jieba.lcut(text.lower())), dtype=np.float32)
