"""Spotting a scam in progress, so the reply can lead with an unmistakable alarm.

A classifier learned from labelled messages in `knowledge/fraud_examples.tsv`
(`alarm<TAB>message`: a scam happening now; `calm<TAB>message`: a calm question about
fraud, money or family): TF-IDF over character 1–3-grams of the normalised text and
logistic regression (scikit-learn). Staff grow it by adding messages residents really
sent. The settings were chosen by 5-fold cross-validation on those examples: the
highest recall with at most 3% false alarms. Measured by `bench/fraud_alarm.py` on a
held-out set.
"""

import math
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .nlp import basic_normalise

NGRAMS = (1, 3)
C = 30.0
THRESHOLD = 0.6


def _text(message):
    return basic_normalise(message).replace(" ", "")


def _ngrams(text):
    return [
        text[i : i + n] for n in range(NGRAMS[0], NGRAMS[1] + 1) for i in range(len(text) - n + 1)
    ]


def read_examples(path):
    """[(is_alarm, message)] from a `label<TAB>message` file."""
    examples = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, _, message = line.partition("\t")
        if label not in ("alarm", "calm") or not message.strip():
            raise ValueError(f"{Path(path).name} line {number}: want 'alarm|calm<TAB>message'")
        examples.append((label == "alarm", message.strip()))
    return examples


class FraudAlarm:
    def __init__(self, threshold=THRESHOLD):
        self.threshold = threshold

    @classmethod
    def from_file(cls, path, **options):
        return cls(**options).fit(read_examples(path))

    def fit(self, examples):
        texts = [_text(m) for _, m in examples]
        labels = np.array([is_alarm for is_alarm, _ in examples])
        vectorizer = TfidfVectorizer(analyzer=_ngrams, sublinear_tf=True)
        model = LogisticRegression(C=C, max_iter=5000).fit(vectorizer.fit_transform(texts), labels)
        # Scored here directly with the fitted vocabulary, idf and weights: scikit-learn's
        # per-call input checks cost more than the arithmetic for one short message.
        self._vocabulary = vectorizer.vocabulary_
        self._idf = vectorizer.idf_
        self._weights = model.coef_[0]
        self._bias = float(model.intercept_[0])
        return self

    def probability(self, message):
        """How likely the message shows a scam in progress (0 to 1)."""
        found = []
        for term, n in Counter(_ngrams(_text(message))).items():
            j = self._vocabulary.get(term)
            if j is not None:
                found.append((j, (1.0 + math.log(n)) * self._idf[j]))
        norm = math.sqrt(sum(x * x for _, x in found)) or 1.0
        z = self._bias + sum(self._weights[j] * x / norm for j, x in found)
        return 1.0 / (1.0 + math.exp(-z))

    def is_alarm(self, message):
        return bool(message.strip()) and self.probability(message) >= self.threshold
