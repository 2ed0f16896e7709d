"""Spotting a scam in progress, so the reply can lead with an unmistakable alarm.

A classifier learned from labelled messages in `knowledge/fraud_examples.tsv`
(`alarm<TAB>message`: a scam happening now; `calm<TAB>message`: a calm question about
fraud, money or family): TF-IDF over character 1–3-grams of the normalised text and
logistic regression (scikit-learn). Staff grow it by adding messages residents really
sent. The settings were chosen by 5-fold cross-validation on those examples: the
highest recall with at most 3% false alarms. Measured by `bench/fraud_alarm.py` on a
held-out set.
"""

from pathlib import Path

from .nlp import basic_normalise
from .textclass import NgramClassifier

NGRAMS = (1, 2)
C = 100.0
THRESHOLD = 0.5


def _text(message):
    return basic_normalise(message).replace(" ", "")


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
        self._classifier = NgramClassifier(NGRAMS, C).fit(
            [_text(m) for _, m in examples], [is_alarm for is_alarm, _ in examples]
        )
        return self

    def probability(self, message):
        """How likely the message shows a scam in progress (0 to 1)."""
        return self._classifier.probability(_text(message))

    def is_alarm(self, message):
        return bool(message.strip()) and self.probability(message) >= self.threshold
