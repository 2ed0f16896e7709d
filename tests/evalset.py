"""The retrieval evaluation set: `tests/eval/*.tsv`, split into dev and test parts.

Each line is `entry_id<TAB>question` (`-` for a question the bot must decline). The
split is fixed by a hash of the question, so adding questions never moves old ones:
about 40% dev (for tuning), 60% test (for reporting).
"""

import zlib
from pathlib import Path

EVAL_DIR = Path(__file__).parent / "eval"
DECLINE = "-"
SKIP_PREFIX = "fraud_alarm"  # the fraud-alarm sets have labels, not entry ids


def split_of(question):
    return "dev" if zlib.crc32(question.encode("utf-8")) % 10 < 4 else "test"


def load(split=None, directory=EVAL_DIR):
    """[(expected_id or '-', question)] for the split (None: everything)."""
    items = []
    for path in sorted(Path(directory).glob("*.tsv")):
        if path.name.startswith(SKIP_PREFIX):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            expected, _, question = line.partition("\t")
            question = question.strip()
            if question and (split is None or split_of(question) == split):
                items.append((expected.strip(), question))
    return items
