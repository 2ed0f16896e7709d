"""Grouping similar questions, so a list of what the bot could not answer reads as a few
needs rather than hundreds of wordings.

TF-IDF over the project's analyser (words, colloquial synonyms, traditional → simplified)
plus character pairs, cosine similarity, and greedy grouping: the most asked question
leads a group and takes every not-yet-grouped question close enough to it. Pure: no
Flask, no database.
"""

from dataclasses import dataclass, field

import numpy as np

# Questions at least this similar (cosine, 0–1) to a group's leader join its group.
DEFAULT_THRESHOLD = 0.5


@dataclass
class Group:
    text: str  # the most asked wording
    count: int  # how often any wording in the group was asked
    members: list = field(default_factory=list)  # (text, count), most asked first


def group_questions(texts_with_counts, analyzer, threshold=DEFAULT_THRESHOLD):
    """Groups of similar questions, largest first.

    texts_with_counts: (text, count) pairs; identical texts should already be summed.
    analyzer: the project's `nlp.Analyzer` (its `normalise` and `words`).
    """
    items = sorted(
        ((t, int(c)) for t, c in texts_with_counts if t and t.strip()),
        key=lambda item: (-item[1], item[0]),
    )
    if not items:
        return []
    # Imported here: only staff pages and reports group questions; answering never does.
    from sklearn.feature_extraction.text import TfidfVectorizer

    def features(text):
        words = analyzer.words(text)
        chars = "".join(words) or analyzer.normalise(text)
        return words + [chars[i : i + 2] for i in range(len(chars) - 1)] or [chars]

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, dtype=np.float32, norm="l2")
    try:
        matrix = vectorizer.fit_transform([text for text, _ in items])
    except ValueError:  # nothing but symbols: every question stands alone
        return [Group(text, count, [(text, count)]) for text, count in items]
    similarity = (matrix @ matrix.T).toarray()
    taken = np.zeros(len(items), dtype=bool)
    groups = []
    for leader in range(len(items)):
        if taken[leader]:
            continue
        joined = np.flatnonzero(~taken & (similarity[leader] >= threshold))
        joined = [leader] + [i for i in joined if i != leader]
        taken[joined] = True
        members = [items[i] for i in joined]
        groups.append(Group(items[leader][0], sum(c for _, c in members), members))
    groups.sort(key=lambda g: -g.count)
    return groups
