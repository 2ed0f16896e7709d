"""Validation of the whole knowledge base: schema, ids, sizes, and confusable pairs.

Used by `flask --app server kb check`, by the tests, and at start-up (the service
refuses to start on an invalid knowledge base).
"""

from pathlib import Path

from bot.kb.entries import load_directory
from bot.search.alarm import read_examples
from bot.search.retriever import Retriever

# Confusable: another entry scores at least this share of what the entry itself scores
# for its own title, so the retriever could not tell the two apart.
NEAR_DUPLICATE = 0.9


def confusable_pairs(entries, analyzer, threshold=NEAR_DUPLICATE, retriever=None):
    """(a, b, ratio), each pair once: for a's title, b scores `ratio` × a's own score.

    retriever: one already fitted on these entries (start-up reuses the live index's).
    """
    if len(entries) < 2:
        return []
    if retriever is None:
        retriever = Retriever(analyzer).fit((e.id, e.all_phrasings) for e in entries)
    position = {entry_id: i for i, entry_id in enumerate(retriever.ids)}
    best = {}
    for entry in entries:
        if entry.id not in position:
            continue
        scores = retriever.scores(entry.question)
        own = scores[position[entry.id]]
        if own <= 0:
            continue
        for other_id, score in zip(retriever.ids, scores):
            ratio = float(score / own)
            if other_id != entry.id and ratio >= threshold:
                pair = tuple(sorted((entry.id, other_id)))
                best[pair] = max(best.get(pair, 0.0), ratio)
    return sorted(((a, b, r) for (a, b), r in best.items()), key=lambda p: -p[2])


def resource_problems(knowledge_dir):
    problems = []
    examples = Path(knowledge_dir) / "fraud_examples.tsv"
    try:
        labels = {is_alarm for is_alarm, _ in read_examples(examples)}
        if labels != {True, False}:
            problems.append("fraud_examples.tsv: needs both alarm and calm examples")
    except (OSError, ValueError) as error:
        problems.append(f"fraud_examples.tsv: {error}")
    out_of_scope = Path(knowledge_dir) / "out_of_scope.tsv"
    if out_of_scope.exists():
        lines = out_of_scope.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if line.strip() and not (line.startswith("-\t") and line[2:].strip()):
                problems.append(f"out_of_scope.tsv line {number}: want '-<TAB>question'")
    path = Path(knowledge_dir) / "synonyms.tsv"
    if path.exists():
        seen = set()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                problems.append(f"synonyms.tsv line {number}: want 'colloquial<TAB>standard'")
            elif parts[0] in seen:
                problems.append(f"synonyms.tsv line {number}: '{parts[0]}' mapped twice")
            elif parts[0] == parts[1]:
                problems.append(f"synonyms.tsv line {number}: '{parts[0]}' maps to itself")
            seen.add(parts[0])
    return problems


def check_files(knowledge_dir):
    """(entries, problems) of the files alone: schema, ids, sizes, language resources."""
    entries, problems = load_directory(knowledge_dir)
    return entries, problems + resource_problems(knowledge_dir)


def confusable_problems(entries, analyzer, retriever=None):
    origin = {e.id: e.origin_file for e in entries}
    return [
        f"{origin.get(a, 'database')}: {a}: title is too close to {b}"
        f" ({origin.get(b, 'database')}), similarity {score:.2f}"
        for a, b, score in confusable_pairs(entries, analyzer, retriever=retriever)
    ]


def check(knowledge_dir, analyzer):
    """(entries, problems): every problem names its file and entry id."""
    entries, problems = check_files(knowledge_dir)
    return entries, problems + confusable_problems(entries, analyzer)
