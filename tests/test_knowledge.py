"""The bundled knowledge base: valid, big enough, and saying only numbers we know."""

import re
from pathlib import Path

import pytest
import yaml

from bot.kb.check import check
from bot.kb.entries import VERIFIED_NUMBERS, KnowledgeError, load_directory, load_out_of_scope
from bot.search.nlp import Analyzer, basic_normalise
from tests import evalset
from tests.conftest import FIXTURE_KB, REAL_KB
from tests.helpers import services_of

FLOORS = {"smartphone": 120, "fraud": 70, "health": 70, "rumour": 25, "services": 15}


@pytest.fixture(scope="module")
def real():
    return check(REAL_KB, Analyzer.from_directory(REAL_KB))


def test_bundled_knowledge_base_passes_the_check(real):
    _, problems = real
    assert problems == []


def test_coverage_floors_hold(real):
    entries, _ = real
    counts = {}
    for entry in entries:
        counts[entry.category] = counts.get(entry.category, 0) + 1
    for category, floor in FLOORS.items():
        assert counts.get(category, 0) >= floor, (category, counts.get(category, 0))


def test_answers_name_only_verified_phone_numbers(real):
    entries, _ = real
    call = re.compile(r"(?:打|拨|电话|热线|致电|号码|来电)\D{0,6}?(\d{3,11})")
    for entry in entries:
        for number in call.findall(entry.answer):
            assert number in VERIFIED_NUMBERS, (entry.id, number)


def test_answers_are_plain_short_and_sourced(real):
    entries, _ = real
    for entry in entries:
        assert 60 <= len(entry.answer) <= 450, (entry.id, len(entry.answer))
        assert "http" not in entry.answer and "www." not in entry.answer, entry.id
        assert entry.source.strip(), entry.id


def test_health_answers_say_when_to_see_a_doctor(real):
    entries, _ = real
    advice = ("医生", "医院", "120", "就医", "就诊", "药师", "12356", "12320")
    for entry in entries:
        if entry.category == "health":
            assert any(word in entry.answer for word in advice), entry.id


def test_scam_answers_say_what_to_do_now(real):
    entries, _ = real
    actions = ("110", "96110", "挂断", "不要转", "别转", "不转账")
    for entry in entries:
        if entry.category == "fraud":
            assert any(word in entry.answer for word in actions), entry.id


def test_evaluation_questions_are_not_copies_of_phrasings(real):
    entries, _ = real
    known = {basic_normalise(p) for e in entries for p in e.all_phrasings}
    known |= {basic_normalise(q) for q in load_out_of_scope(REAL_KB)}  # training, not test
    ids = {e.id for e in entries}
    items = evalset.load()
    assert len([e for e, _ in items if e != evalset.DECLINE]) >= 400
    assert len([e for e, _ in items if e == evalset.DECLINE]) >= 80
    for expected, question in items:
        assert expected == evalset.DECLINE or expected in ids, (expected, question)
        assert basic_normalise(question) not in known, question


# -- the check itself, on broken files ----------------------------------------------------


def write_kb(tmp_path, entries):
    kb = tmp_path / "kb"
    (kb / "entries").mkdir(parents=True)
    (kb / "entries" / "broken.yaml").write_text(
        yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8"
    )
    (kb / "fraud_examples.tsv").symlink_to(Path(FIXTURE_KB) / "fraud_examples.tsv")
    return kb


def sample_entries():
    return yaml.safe_load((Path(FIXTURE_KB) / "entries" / "sample.yaml").read_text("utf-8"))


def test_check_names_file_and_id_of_each_problem(tmp_path):
    entries = sample_entries()
    entries[1]["id"] = entries[0]["id"]  # duplicate id
    entries[2]["answer"] = "很长的回答。" * 120  # over 1,800 bytes
    entries[3]["phrasings"] = entries[3]["phrasings"][:2]  # too few phrasings
    del entries[4]["source"]  # schema
    entries[5]["category"] = "weather"
    _, problems = load_directory(write_kb(tmp_path, entries))
    text = "\n".join(problems)
    assert f"broken.yaml: {entries[0]['id']}: duplicate id" in text
    assert f"{entries[2]['id']}: answer is" in text and "limit is 1800" in text
    assert f"{entries[3]['id']}: needs at least 5 phrasings" in text
    assert f"{entries[4]['id']}: missing field 'source'" in text
    assert f"{entries[5]['id']}: category must be one of" in text
    assert "broken.yaml #" in text


def test_check_lists_confusable_entries(tmp_path):
    entries = sample_entries()
    twin = dict(entries[0], id="wechat/video-call-again")
    kb = write_kb(tmp_path, [*entries, twin])
    _, problems = check(kb, Analyzer.from_directory(FIXTURE_KB))
    assert any("wechat/video-call" in p and "too close to" in p for p in problems)


def test_service_refuses_to_start_on_an_invalid_knowledge_base(make_app, tmp_path):
    entries = sample_entries()
    entries[0]["phrasings"] = []
    with pytest.raises(KnowledgeError) as error:
        make_app(KNOWLEDGE_DIR=str(write_kb(tmp_path, entries)))
    assert "wechat/video-call" in str(error.value)


def test_kb_check_command(app):
    result = app.test_cli_runner().invoke(args=["kb", "check"])
    assert result.exit_code == 0, result.output
    assert "total" in result.output and "ok" in result.output


def test_kb_check_command_fails_on_a_broken_base(make_app, tmp_path):
    app = make_app()
    entries = sample_entries()
    entries[0]["answer"] = "长" * 700
    app.config["KNOWLEDGE_DIR"] = str(write_kb(tmp_path, entries))
    result = app.test_cli_runner().invoke(args=["kb", "check"])
    assert result.exit_code == 1
    assert "wechat/video-call: answer is 2100 bytes" in result.output


def test_the_service_starts_on_the_bundled_knowledge_base(make_app):
    app = make_app(KNOWLEDGE_DIR=REAL_KB)
    services = services_of(app)
    assert len(services.index.current(services.db()).entries) >= 300


def test_import_retires_entries_gone_from_the_files_but_not_staff_ones(make_app, tmp_path):
    from bot.kb import entries as knowledge

    entries = sample_entries()
    app = make_app(KNOWLEDGE_DIR=str(write_kb(tmp_path, entries)))
    db = services_of(app).db()
    db.execute("update entries set updated_by = 'wangli' where id = ?", [entries[1]["id"]])
    remaining = [knowledge.entry_from_raw(raw, "broken.yaml") for raw in entries[2:]]
    added, updated, kept, retired = knowledge.sync_from_files(db, remaining)
    assert retired == [entries[0]["id"]]
    active = {e.id for e in knowledge.active_entries(db)}
    assert entries[0]["id"] not in active and entries[1]["id"] in active


def test_local_template_ships_inactive_and_an_active_placeholder_is_refused(tmp_path):
    import shutil

    entries, problems = load_directory(REAL_KB)
    assert problems == [] and not [e for e in entries if e.id.startswith("service/local-")]
    (tmp_path / "entries").mkdir()
    shutil.copy(Path(REAL_KB) / "entries" / "local.yaml", tmp_path / "entries" / "local.yaml")
    text = (tmp_path / "entries" / "local.yaml").read_text(encoding="utf-8")
    (tmp_path / "entries" / "local.yaml").write_text(
        text.replace("active: false", "active: true", 1), encoding="utf-8"
    )
    _, problems = load_directory(tmp_path)
    assert any("placeholder" in p and "service/local-hospital-appointment" in p for p in problems)


def test_the_voice_rules_refuse_what_a_machine_can_see():
    from bot.kb.entries import voice_problems

    assert voice_problems("1. 打开设置。\n2. 点显示。") == []
    assert any("您" in p for p in voice_problems("你打开设置就行。"))
    assert any("two" in p for p in voice_problems("1. 先这样。\n2. 再那样。\n1. 又一遍。"))
    assert any("12399" in p for p in voice_problems("不会弄就打电话12399问。"))
    assert voice_problems("不会弄就打电话12393问。") == []


def test_the_readme_settings_table_lists_exactly_the_settings():
    from bot.config import DEFAULTS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Settings") : readme.index("## Production")]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert named == set(DEFAULTS)


def test_no_blind_set_question_is_copied_into_the_entries(real):
    """The blind set measures questions nobody tuned on: none may be a title or phrasing."""
    from bot.search.nlp import message_key
    from tests import blindset

    entries, _ = real
    phrasings = {message_key(p) for e in entries for p in e.all_phrasings}
    names = ["inscope_a", "inscope_b", "out_of_scope", "ordinary", "scams", "emergencies"]
    blind = [i.text for n in names for i in blindset.load(n)]
    blind += [t.text for c in blindset.conversations() for t in c.turns]
    assert [t for t in blind if message_key(t) in phrasings] == []
