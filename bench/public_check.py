"""Our retriever as a plug-in of the public retrieval benchmark (../shared/public-bench).

    python bench.py --data $DATA --retriever ours=/path/to/bench/public_check.py:make ...

The benchmark hands raw question texts to `fit` and wants `search(query, k)` to return
`[(doc_index, score)]`, best first. Each variant below switches one part of the pipeline
off, for the ablation reported in the README; the variants' settings were chosen on our
own sets, never on this benchmark.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search.nlp import Analyzer  # noqa: E402
from bot.search.retriever import Retriever  # noqa: E402

KB = ROOT / "knowledge"


class Plugin:
    def __init__(self, stopwords=False, **options):
        self.stopwords = stopwords
        self.options = dict(options)
        self.options.setdefault("pairs", False)

    def fit(self, texts):
        analyzer = Analyzer.from_directory(KB)
        if not self.stopwords:
            analyzer = Analyzer(KB / "userdict.txt", analyzer.synonyms, ())
        self.retriever = Retriever(analyzer, **self.options)
        self.retriever.fit((str(i), [t]) for i, t in enumerate(texts))
        return self

    def search(self, query, k=10):
        return [(int(h.id), h.score) for h in self.retriever.search(query, k)]


def make():
    return Plugin()


def make_before():
    """The pipeline as it was before the ablation: word pairs and stop words on."""
    return Plugin(pairs=True, stopwords=True)
