"""Normalisation's shortcuts give exactly what the slow paths give."""

import sys
import tempfile
import unicodedata
from pathlib import Path

import opencc
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kb.entries import load_directory, load_out_of_scope
from bot.search import nlp
from tests import evalset
from tests.conftest import REAL_KB

T2S = opencc.OpenCC("t2s")


def _dictionary_keys():
    folder = Path(opencc.__file__).parent / "dictionary"
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield line.split("\t", 1)[0]


def test_simplified_text_is_left_as_t2s_leaves_it():
    entries, _ = load_directory(REAL_KB)
    texts = [p for e in entries for p in e.all_phrasings]
    texts += [e.answer for e in entries] + load_out_of_scope(REAL_KB)
    texts += [q for _, q in evalset.load()]
    for text in texts:
        assert nlp.to_simplified(text) == T2S.convert(text), text


def test_every_traditional_form_t2s_knows_is_still_converted():
    keys = list(_dictionary_keys())
    assert len(keys) > 4000
    for key in keys:
        text = f"我说{key}了"
        assert nlp.to_simplified(text) == T2S.convert(text), key


MIXED = sorted(set("".join(_dictionary_keys())) | set("的了吗有序船默 ,。"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(MIXED)))
def test_any_mix_of_those_characters_converts_as_t2s(text):
    assert nlp.to_simplified(text) == T2S.convert(text)


def _strip_one_by_one(text):
    """The definition: a character of category P, S, Z or C becomes a space, but '+'."""
    return "".join(" " if unicodedata.category(c)[0] in "PSZC" and c != "+" else c for c in text)


def test_symbols_become_spaces_for_every_character():
    # Every code point, in order: more than the table keeps, so both paths are used.
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    assert nlp._strip_symbols(everything) == _strip_one_by_one(everything)
    assert len(nlp._SYMBOLS) <= nlp._SymbolsToSpaces.LIMIT


def test_the_classifier_scores_a_message_as_scikit_learn_does():
    """NgramClassifier scores one text by hand; scikit-learn's pipeline is the reference."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.search.textclass import NgramClassifier

    entries, _ = load_directory(REAL_KB)
    inside = [nlp.message_key(p) for e in entries[:60] for p in e.all_phrasings]
    outside = [nlp.message_key(q) for q in load_out_of_scope(REAL_KB)]
    texts, labels = inside + outside, [True] * len(inside) + [False] * len(outside)
    ours = NgramClassifier(class_weight="balanced").fit(texts, labels)
    vectorizer = TfidfVectorizer(analyzer=ours._features, sublinear_tf=True)
    model = LogisticRegression(C=ours.C, max_iter=5000, class_weight="balanced")
    model.fit(vectorizer.fit_transform(texts), labels)
    questions = [nlp.message_key(q) for _, q in evalset.load()][:400] + ["", "zzzz", "的的的"]
    reference = model.predict_proba(vectorizer.transform(questions))[:, 1]
    for question, expected in zip(questions, reference):
        assert abs(ours.probability(question) - expected) < 1e-9, question


def test_the_dictionary_read_whole_is_jiebas_own():
    import jieba

    ours, theirs = jieba.Tokenizer(), jieba.Tokenizer()
    nlp._load_dictionary(ours)
    theirs.initialize()
    assert ours.initialized
    assert ours.total == theirs.total
    assert ours.FREQ == theirs.FREQ


def test_without_jiebas_cache_jieba_builds_it_and_it_is_then_read(tmp_path, monkeypatch):
    import jieba

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    built = jieba.Tokenizer()
    nlp._load_dictionary(built)  # nothing there: jieba's own initialize() builds it
    assert (tmp_path / "jieba.cache").exists()
    read = jieba.Tokenizer()
    nlp._load_dictionary(read)
    assert read.FREQ == built.FREQ and read.total == built.total
    (tmp_path / "jieba.cache").write_bytes(b"\x00broken")
    rebuilt = jieba.Tokenizer()
    nlp._load_dictionary(rebuilt)  # unreadable: jieba's initialize() again
    assert rebuilt.FREQ == built.FREQ
