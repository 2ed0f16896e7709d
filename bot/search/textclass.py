"""A small text classifier: TF-IDF over character n-grams and logistic regression.

Fitted with scikit-learn; a single message is then scored here directly with the
fitted vocabulary, idf and weights, since scikit-learn's per-call input checks cost more
than the arithmetic for one short text. Pure: no Flask, no database.
"""

import math
from collections import Counter
from pathlib import Path

import numpy as np


def read_labelled(path, labels):
    """[(label, text)] from a `label<TAB>text` file (blank lines and # comments skipped);
    a line with another label or no text is a ValueError naming the file and line."""
    examples = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if label not in labels or not text.strip():
            want = "|".join(labels)
            raise ValueError(f"{Path(path).name} line {number}: want '{want}<TAB>text'")
        examples.append((label, text.strip()))
    return examples


class NgramClassifier:
    def __init__(self, ngrams=(1, 3), C=30.0, class_weight=None):
        self.ngrams = ngrams
        self.C = C
        self.class_weight = class_weight

    def _features(self, text):
        low, high = self.ngrams
        return [text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]

    def fit(self, texts, labels):
        # Imported here: serving loads fitted classifiers (bot.search.fitcache) and
        # never needs scikit-learn, which costs 60 MB and half a second to import.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(analyzer=self._features, sublinear_tf=True)
        model = LogisticRegression(C=self.C, max_iter=5000, class_weight=self.class_weight)
        model.fit(vectorizer.fit_transform(texts), np.asarray(labels, dtype=bool))
        self._vocabulary = vectorizer.vocabulary_
        self._idf = vectorizer.idf_
        self._weights = model.coef_[0]
        self._bias = float(model.intercept_[0])
        return self

    def probability(self, text):
        """Probability of the positive class for an already normalised text.

        The text's terms are looked up in Python, the arithmetic is done once on the
        arrays: per-term numpy scalars cost more than the lookups. The fitted arrays are
        only read, so workers forked after the preload keep sharing their pages."""
        columns, counts = [], []
        get = self._vocabulary.get
        for term, n in Counter(self._features(text)).items():
            j = get(term)
            if j is not None:
                columns.append(j)
                counts.append(n)
        if not columns:
            return 1.0 / (1.0 + math.exp(-self._bias))
        x = np.log(np.asarray(counts, dtype=np.float64))
        x += 1.0
        x *= self._idf[columns]
        norm = math.sqrt(float(x @ x)) or 1.0
        z = self._bias + float(self._weights[columns] @ x) / norm
        return 1.0 / (1.0 + math.exp(-z))
