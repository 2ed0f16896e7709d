"""Text normalisation and tokenisation for the way older people write.

Full-width → half-width, traditional → simplified, emoji and punctuation dropped,
repeated characters folded, colloquial words mapped to the knowledge base's words,
jieba with the domain dictionary, stop words removed, and pinyin so that voice-input
homophones (视屏 / 视频) still meet. Pure: no Flask, no database.
"""

import functools
import logging
import marshal
import os
import re
import tempfile
import unicodedata
from pathlib import Path

import jieba
import opencc

# pypinyin's documented memory switches: no phrase dictionary (45 MB in every process;
# a word's syllables are then each character's most common reading, the same for the
# base and for the question, so homophones still meet), and no private copy of it.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
from pypinyin import lazy_pinyin  # noqa: E402  (after its setting)

jieba.setLogLevel(logging.WARNING)

_T2S = opencc.OpenCC("t2s")
_REPEATS = re.compile(r"(\D)\1{2,}")
_SPACES = re.compile(r"\s+")
_KEEP_SYMBOLS = {"+"}


def _t2s_triggers():
    """(characters, phrases): a text with none of these is left as it is by t2s.

    t2s converts a character of its character table, or a phrase of its phrase table;
    a phrase with one of those characters is covered by them, so only the few phrases
    without one are kept whole. Read from the dictionaries t2s itself loads.
    """
    folder = Path(opencc.__file__).parent / "dictionary"

    def keys(name):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        return {line.split("\t", 1)[0] for line in lines if line.strip()}

    characters = frozenset(keys("TSCharacters.txt"))
    phrases = tuple(p for p in keys("TSPhrases.txt") if characters.isdisjoint(p))
    return characters, phrases


_T2S_CHARACTERS, _T2S_PHRASES = _t2s_triggers()


def to_simplified(text):
    """Traditional → simplified. Almost every message is simplified already, and OpenCC
    (pure Python) costs more than the rest of normalisation: such a text is returned at
    once, as t2s would return it."""
    if _T2S_CHARACTERS.isdisjoint(text) and not any(p in text for p in _T2S_PHRASES):
        return text
    return _T2S.convert(text)


class _SymbolsToSpaces(dict):
    """A str.translate table filled as characters are met: punctuation, emoji and other
    symbols become spaces; letters and digits stay. Bounded: past LIMIT characters a new
    one is looked up without being kept."""

    LIMIT = 20_000

    def __missing__(self, code):
        char = chr(code)
        keep = unicodedata.category(char)[0] not in "PSZC" or char in _KEEP_SYMBOLS
        value = code if keep else " "
        if len(self) < self.LIMIT:
            self[code] = value
        return value


_SYMBOLS = _SymbolsToSpaces()


def _strip_symbols(text):
    """Punctuation, emoji and other symbols become spaces; letters and digits stay."""
    return text.translate(_SYMBOLS)


# One message is normalised by several rules in a turn; a small cache keeps that to once.
# Small on purpose: it serves one turn's repeats and never grows a worker's memory.
TURN_CACHE = 256


def basic_normalise(text):
    """Width, case, script, symbols and repeats; no vocabulary needed."""
    return _basic_normalise(text or "")


@functools.lru_cache(maxsize=TURN_CACHE)
def _basic_normalise(text):
    text = unicodedata.normalize("NFKC", text).lower()
    text = to_simplified(text)
    text = _strip_symbols(text)
    text = _REPEATS.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def message_key(text):
    """The one normal form every dialogue rule compares: NFKC, traditional → simplified,
    no punctuation or spaces, repeats folded ("第一個" → "第一个", "謝謝！！" → "谢谢")."""
    return basic_normalise(text).replace(" ", "")


def read_synonyms(path):
    pairs = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        colloquial, _, standard = line.partition("\t")
        colloquial, standard = basic_normalise(colloquial), basic_normalise(standard)
        if colloquial and standard and colloquial != standard:
            pairs[colloquial] = standard
    return pairs


def read_words(path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return {basic_normalise(line) for line in lines if line.strip() and not line.startswith("#")}


class Analyzer:
    """Turns a message into the words, characters and sounds the retriever compares."""

    def __init__(self, userdict=None, synonyms=None, stopwords=None):
        self.synonyms = dict(synonyms or {})
        self.stopwords = set(stopwords or ())
        # What the words it makes depend on, for keys of fits made with it (fitcache).
        self.signature = (
            Path(userdict).read_text(encoding="utf-8")
            if userdict and Path(userdict).exists()
            else "",
            sorted(self.synonyms.items()),
            sorted(self.stopwords),
        )
        self._tokenizer = jieba.Tokenizer()
        _load_dictionary(self._tokenizer)
        if userdict and Path(userdict).exists():
            with open(userdict, "rb") as handle:  # jieba leaves a path's file open
                self._tokenizer.load_userdict(handle)
        for word in set(self.synonyms.values()):
            if " " not in word:
                self._tokenizer.add_word(word, freq=2000)
        keys = sorted(self.synonyms, key=len, reverse=True)
        self._synonym_pattern = re.compile("|".join(map(re.escape, keys))) if keys else None
        self._token_cache = {}

    @classmethod
    def from_directory(cls, knowledge_dir):
        """The analyser configured by the knowledge base's language resources.

        Cached per process while the files are unchanged: loading jieba takes ~0.7 s.
        """
        base = Path(knowledge_dir).resolve()
        stamp = tuple(
            (base / name).stat().st_mtime_ns if (base / name).exists() else 0
            for name in ("userdict.txt", "synonyms.tsv", "stopwords.txt")
        )
        return _cached_analyzer(base, stamp)

    @classmethod
    def _load(cls, base):
        synonyms = read_synonyms(base / "synonyms.tsv") if (base / "synonyms.tsv").exists() else {}
        stopwords = (
            read_words(base / "stopwords.txt") if (base / "stopwords.txt").exists() else set()
        )
        return cls(base / "userdict.txt", synonyms, stopwords)

    def normalise(self, text):
        text = basic_normalise(text)
        if self._synonym_pattern is not None:
            text = self._synonym_pattern.sub(lambda m: self.synonyms[m.group(0)], text)
        return text

    def words(self, text):
        """Content words of a message, normalised, stop words removed."""
        return [t for t in self.tokens(text) if t not in self.stopwords]

    def tokens(self, text):
        """Every word of a message, normalised, stop words kept."""
        return list(self._tokens(text))

    def _tokens(self, text):
        cached = self._token_cache.get(text)
        if cached is None:
            cached = tuple(t for t in self._tokenizer.lcut(self.normalise(text)) if t.strip())
            if len(self._token_cache) >= TURN_CACHE:
                self._token_cache.pop(next(iter(self._token_cache)))  # the oldest
            self._token_cache[text] = cached
        return cached

    @staticmethod
    def syllables(words):
        """Toneless pinyin of the words' Chinese characters; homophones become equal."""
        return [s for word in words for char in word for s in _char_pinyin(char)]


def _load_dictionary(tokenizer):
    """jieba's initialize(), with its dictionary cache read whole first.

    jieba hands the open cache file to marshal.load, which reads it a few bytes at a
    time: 0.6 s of every start, against 0.2 s for marshal.loads of the same bytes. The
    file is jieba's own, where jieba keeps it for its default dictionary; when it is
    missing or unreadable, jieba's initialize() builds and writes it as always.
    """
    if tokenizer.dictionary == jieba.DEFAULT_DICT and not (
        tokenizer.cache_file or tokenizer.tmp_dir
    ):
        cache = Path(tempfile.gettempdir()) / "jieba.cache"
        try:
            tokenizer.FREQ, tokenizer.total = marshal.loads(cache.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
        else:
            tokenizer.initialized = True
            return
    tokenizer.initialize()


@functools.lru_cache(maxsize=4)
def _cached_analyzer(base, stamp):
    return Analyzer._load(base)


# Without the phrase dictionary a word's pinyin is its characters' pinyin (checked on
# every word of the base and the test sets), so the cache holds characters: a few
# thousand, met again and again, instead of words that keep coming.
@functools.lru_cache(maxsize=30_000)
def _char_pinyin(char):
    return tuple(s for s in lazy_pinyin(char, errors="ignore") if s.strip())
