"""The classifiers a knowledge folder's example files train, fitted together.

Kept in this package so that bot.search.fitcache, which keys a stored fit by this
package's source, refits whenever how they are fitted changes. Pure: files in, models
out; no Flask, no database.
"""

from dataclasses import dataclass
from pathlib import Path

from bot.search import fitcache
from bot.search.alarm import FraudAlarm, example_files, read_examples
from bot.search.emergency import EmergencyDetector
from bot.search.smalltalk import SmallTalk
from bot.search.smalltalk import read_examples as small_talk_examples
from bot.search.sms import SmsJudge

EMERGENCY_FILE = "emergency_examples.tsv"
SMALL_TALK_FILE = "smalltalk.tsv"
SMS_FILE = "sms_examples.tsv"


@dataclass(frozen=True)
class Models:
    alarm: FraudAlarm
    emergency: EmergencyDetector
    small_talk: SmallTalk
    sms_judge: SmsJudge


def example_paths(base):
    base = Path(base)
    return [*example_files(base), base / EMERGENCY_FILE, base / SMALL_TALK_FILE, base / SMS_FILE]


def load_or_fit(base, phrasings, fit_cache=None, isolate=False):
    """The folder's models: loaded from `fit_cache` when these files and phrasings were
    fitted before, else fitted (and kept there)."""
    key = fitcache.digest(*sorted(example_paths(base)), tuple(phrasings))
    return fitcache.cached(fit_cache, "models", key, lambda: fit(base, phrasings), isolate)


def fit(base, phrasings):
    """phrasings: every entry's questions, the small-talk matcher's "question" class."""
    base = Path(base)
    alarm = FraudAlarm.from_directory(base)
    small_talk = SmallTalk.from_file(base / SMALL_TALK_FILE, questions=phrasings)
    scams = [m for path in example_files(base) if path.exists() for _, m in read_examples(path)]
    talk_file = base / SMALL_TALK_FILE
    chat = [m for _, m in small_talk_examples(talk_file)] if talk_file.exists() else []
    emergency = EmergencyDetector.from_file(base / EMERGENCY_FILE, calm=scams + chat)
    return Models(alarm, emergency, small_talk, SmsJudge.from_file(base / SMS_FILE))
