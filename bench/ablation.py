"""Which parts of the retriever earn their place: each switched off in turn.

    python bench/ablation.py

Ranking quality (top-1 and MRR of the right entry, no declining) on our own evaluation
questions (tests/eval, dev and test parts), fitted on the bundled knowledge base. A part
is kept when switching it off costs on both parts; the public benchmark is then run on
the kept pipeline as a held-out check (README), never to choose.
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.kb.entries import load_directory  # noqa: E402
from bot.search.nlp import Analyzer  # noqa: E402
from bot.search.retriever import Retriever  # noqa: E402
from tests import evalset  # noqa: E402

KB = ROOT / "knowledge"


def plain_analyzer(synonyms=True):
    base = Analyzer.from_directory(KB)
    return Analyzer(KB / "userdict.txt", base.synonyms if synonyms else {}, base.stopwords)


VARIANTS = {
    "with pairs and stop words": lambda: Retriever(
        Analyzer.from_directory(KB), pairs=True, stopwords=True
    ),
    "with stop words": lambda: Retriever(Analyzer.from_directory(KB), stopwords=True),
    "with word pairs": lambda: Retriever(Analyzer.from_directory(KB), pairs=True),
    "no synonyms": lambda: Retriever(plain_analyzer(synonyms=False)),
    "no word view": lambda: Retriever(Analyzer.from_directory(KB), weights=(0.0, 1.0, 1.5)),
    "no char view": lambda: Retriever(Analyzer.from_directory(KB), weights=(1.0, 0.0, 1.5)),
    "no pinyin view": lambda: Retriever(Analyzer.from_directory(KB), weights=(1.0, 1.0, 0.0)),
    "phrasing only": lambda: Retriever(Analyzer.from_directory(KB), entry_weight=0.0),
    "entry only": lambda: Retriever(Analyzer.from_directory(KB), entry_weight=1.0),
    "as served": lambda: Retriever(Analyzer.from_directory(KB)),
}


def ranking(retriever, items):
    inside = [(e, q) for e, q in items if e != evalset.DECLINE]
    top1 = mrr = 0.0
    for expected, question in inside:
        scores = retriever.scores(question)
        order = np.argsort(-scores, kind="stable")[:10]
        ids = [retriever.ids[i] for i in order]
        top1 += ids[0] == expected
        mrr += 1 / (ids.index(expected) + 1) if expected in ids else 0
    return top1 / len(inside), mrr / len(inside)


def main():
    entries, _ = load_directory(KB)
    docs = [(e.id, list(e.all_phrasings)) for e in entries]
    parts = {"dev": evalset.load("dev"), "test": evalset.load("test")}
    print(f"\nablation on our own questions ({len(entries)} entries; ranking only)")
    print(f"{'variant':<16} {'dev top-1':>9} {'dev MRR':>8} {'test top-1':>10} {'test MRR':>9}")
    for name, make in VARIANTS.items():
        retriever = make().fit(docs)
        row = [x for part in parts.values() for x in ranking(retriever, part)]
        print(f"{name:<16} {row[0]:>9.1%} {row[1]:>8.3f} {row[2]:>10.1%} {row[3]:>9.3f}")


if __name__ == "__main__":
    main()
