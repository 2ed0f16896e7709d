"""The frozen blind set (`tests/blind/`) and its entry labels, as plain Python data.

The question files are frozen; `labels.tsv` says afterwards which entries answer each
in-scope question and conversation turn (`file<TAB>row<TAB>ids`, ids comma-separated,
`gap` when no entry fits). Nothing here is used for tuning.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

BLIND_DIR = Path(__file__).parent / "blind"
GAP = "gap"


@dataclass(frozen=True)
class Item:
    source: str  # file stem
    row: str  # line number, or "c001:2" for a conversation turn
    kind: str  # topic slug or kind the writers gave
    text: str
    labels: frozenset = field(default_factory=frozenset)  # acceptable entry ids, or {GAP}
    gapfill: bool = False  # first a gap; answered by an entry written later from its theme


def _rows(name):
    path = BLIND_DIR / f"{name}.tsv"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            kind, _, text = line.partition("\t")
            yield str(number), kind.strip(), text.strip()


def labels(directory=BLIND_DIR):
    """{(file stem, row): (frozenset of entry ids, gapfill)}"""
    path = Path(directory) / "labels.tsv"
    found = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            source, row, ids, note = (line.split("\t") + ["", "", ""])[:4]
            ids = frozenset(i.strip() for i in ids.split(",") if i.strip())
            found[(source, row)] = (ids, note.strip() == "gapfill")
    return found


def _item(known, source, row, kind, text):
    ids, gapfill = known.get((source, row), (frozenset(), False))
    return Item(source, row, kind, text, ids, gapfill)


def load(name):
    """[Item] of one tsv file, with labels where known."""
    known = labels()
    return [_item(known, name, row, kind, text) for row, kind, text in _rows(name)]


def inscope():
    return load("inscope_a") + load("inscope_b")


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple  # of Item, kind = question | followup | new | smalltalk


def conversations():
    known = labels()
    out = []
    path = BLIND_DIR / "conversations.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        turns = tuple(
            _item(known, "conversations", f"{record['id']}:{n}", kind, text)
            for n, (kind, text) in enumerate(zip(record["kinds"], record["turns"]), 1)
        )
        out.append(Conversation(record["id"], turns))
    return out
