"""The retriever on plain data, with no Flask and no database; and the live index swap."""

import time

import pytest

from bot.kb import entries as knowledge
from bot.search.nlp import Analyzer
from bot.search.retriever import ANSWER, CHOOSE, DECLINE, Retriever
from tests.conftest import FIXTURE_KB
from tests.helpers import Chat, services_of

DOCS = [
    ("video", ["微信怎么打视频电话", "怎么和孙子视频", "视频聊天在哪里点", "想跟女儿打个视频"]),
    ("voice", ["微信怎么打语音电话", "只想听声音的电话", "语音通话在哪"]),
    ("font", ["手机字太小怎么调大", "字看不清", "屏幕字体怎么放大"]),
    ("qrcode", ["二维码怎么扫", "扫一扫在哪里", "怎么扫码付钱"]),
    ("salt", ["一天吃多少盐", "盐吃多了好不好", "每天盐能吃几克"]),
    ("police", ["公安打电话让我转账", "警察说我涉嫌洗钱", "安全账户是真的吗"]),
]


@pytest.fixture(scope="module")
def retriever():
    return Retriever(Analyzer.from_directory(FIXTURE_KB)).fit(DOCS)


def best(retriever, text):
    return retriever.search(text, 1)[0].id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("微信怎么跟孙子打视屏", "video"),  # voice-input homophone 视屏
        ("微信怎麼打視頻電話", "video"),  # traditional characters
        ("ｗｅｃｈａｔ视频电话！！！😊", "video"),  # full width, punctuation, emoji
        ("啊啊啊啊手机字太小了看不清啊", "font"),  # repeated characters
        ("方块码怎么扫", "qrcode"),  # colloquial word folded by synonyms.tsv
        ("我孙子教过我但是我忘了 一天吃多少盐来着", "salt"),  # wrapped in a story
    ],
)
def test_finds_the_entry_despite_how_people_write(retriever, text, expected):
    assert best(retriever, text) == expected


def test_scores_are_ranked_confidences(retriever):
    hits = retriever.search("怎么扫二维码", 3)
    assert hits[0].id == "qrcode"
    assert 0 < hits[-1].score <= hits[0].score <= 1


def test_declines_what_it_does_not_know(retriever):
    decision = retriever.decide("明天县城下不下雨")
    assert decision.action == DECLINE


def test_answers_a_clear_match(retriever):
    decision = retriever.decide("公安说我涉嫌洗钱让我转账")
    assert decision.action == ANSWER and decision.best.id == "police"


def test_margin_rule_offers_a_choice_between_close_entries():
    twins = [
        ("on", ["关怀模式怎么打开", "打开关怀模式"]),
        ("off", ["关怀模式怎么关掉", "关闭关怀模式"]),
    ]
    retriever = Retriever(Analyzer.from_directory(FIXTURE_KB), margin=0.1).fit(twins)
    decision = retriever.decide("关怀模式")
    assert decision.action == CHOOSE
    assert {h.id for h in decision.hits} == {"on", "off"}


def test_fitting_needs_something_to_index():
    with pytest.raises(ValueError):
        Retriever(Analyzer.from_directory(FIXTURE_KB)).fit([("empty", ["", "  "])])


def test_every_server_process_picks_up_a_changed_entry(make_app, wechat):
    first, second = make_app(INDEX_BACKGROUND=True), make_app(INDEX_BACKGROUND=True)
    chat = Chat(wechat, first, second, user="oIndexUser")
    assert "5克" in chat.say("一天吃多少盐", via=1)
    db = services_of(first).db()
    db.execute(
        "update entries set answer = ?, updated_by = 'staff' where id = 'health/salt'",
        ["新的回答：每天吃盐不超过5克，少吃咸菜。"],
    )
    knowledge.bump_version(db)
    db.conn.commit()
    for via in (1, 0):  # each process rebuilds in the background, then swaps
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reply = chat.say("一天吃多少盐", via=via)
            if reply.startswith("新的回答"):
                break
            time.sleep(0.2)
        assert reply.startswith("新的回答"), via


def test_out_of_scope_examples_teach_it_what_to_decline():
    off_topic = [
        "明天会不会下雨",
        "猪不吃食怎么办",
        "红烧肉怎么做好吃",
        "股票明天涨不涨",
        "讲个笑话",
        "孙子考大学填什么志愿",
        "油菜什么时候种",
        "电视剧结局是什么",
    ]
    analyzer = Analyzer.from_directory(FIXTURE_KB)
    gated = Retriever(analyzer, threshold=0.0, in_scope_threshold=0.5)
    gated.fit(DOCS, out_of_scope=off_topic)
    assert gated.in_scope("鸡拉稀吃什么药") < gated.in_scope("微信怎么打视频电话")
    assert gated.decide("鸡拉稀吃什么药好").action == DECLINE
    assert gated.decide("微信怎么打视频电话").action == ANSWER
    ungated = Retriever(analyzer, threshold=0.0).fit(DOCS)
    assert ungated.in_scope("鸡拉稀吃什么药") == 1.0


def test_query_hashing_is_the_hashing_the_index_was_fitted_with():
    """The index is fitted through scikit-learn's HashingVectorizer and queried with mmh3:
    the two must agree on every token, or a query would land in the wrong columns."""
    import random

    import mmh3
    from sklearn.utils import murmurhash3_32

    rng = random.Random(7)
    tokens = ["视频", "shipin", "视频_电话", "ｘ", "🙂", "", "a" * 300]
    tokens += ["".join(chr(rng.randint(0x20, 0x9FFF)) for _ in range(rng.randint(1, 4)))]
    tokens += ["".join(chr(rng.randint(0x20, 0x9FFF)) for _ in range(3)) for _ in range(5000)]
    assert all(mmh3.hash(t, seed=0) == murmurhash3_32(t, seed=0) for t in tokens)


def test_a_large_base_built_in_parallel_scores_as_the_serial_build(monkeypatch):
    """Above LARGE phrasings the views and the hashing are made in forked processes;
    the index must be the same one a single process builds."""
    from bot.search import retriever as module

    analyzer = Analyzer.from_directory(FIXTURE_KB)
    serial = Retriever(analyzer).fit(DOCS, ["明天下雨吗", "股票怎么买"])
    monkeypatch.setattr(module, "LARGE", 4)
    monkeypatch.setattr(module, "CHUNK", 3)
    parallel = Retriever(analyzer).fit(DOCS, ["明天下雨吗", "股票怎么买"])
    for text in ["怎么和孙子视频", "盐能吃几克", "扫码付钱", "完全无关的话"]:
        assert parallel.scores(text) == pytest.approx(serial.scores(text), abs=1e-6)
        assert parallel.in_scope(text) == pytest.approx(serial.in_scope(text))


def test_syllables_by_character_are_the_words_pinyin():
    """Pinyin is cached by character, which is only right while a word's pinyin is its
    characters' (pypinyin without its phrase dictionary): checked on every word of the
    bundled base."""
    from pypinyin import lazy_pinyin

    from tests.conftest import REAL_KB

    analyzer = Analyzer.from_directory(REAL_KB)
    entries, _ = knowledge.load_directory(REAL_KB)
    words = {w for e in entries for p in e.all_phrasings for w in analyzer.tokens(p)}
    assert len(words) > 3000
    for word in words:
        expected = [s for s in lazy_pinyin(word, errors="ignore") if s.strip()]
        assert analyzer.syllables([word]) == expected, word
