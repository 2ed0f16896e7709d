"""Import and export between the database and the knowledge/ files."""

import shutil

import pytest
import yaml

from bot.kb import entries as knowledge
from tests.conftest import FIXTURE_KB, make_user, post_form
from tests.helpers import answer_for, edit_form, services_of

ENTRY = "phone/font-size"


@pytest.fixture
def kb_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KB, target)
    return target


@pytest.fixture
def sync_app(make_app, kb_copy, tmp_path):
    return make_app(KNOWLEDGE_DIR=str(kb_copy), KB_EXPORT_DIR=str(tmp_path / "export"))


@pytest.fixture
def editor(sync_app):
    from tests.conftest import login

    make_user(sync_app, "wangli", "editor")
    client = sync_app.test_client()
    login(client, "wangli")
    return client


def staff_edit(client, entry_id, answer):
    form = edit_form(client, entry_id)
    form["answer"] = answer
    assert client.post(f"/staff/entry/{entry_id}/edit", data=form).status_code == 302


def test_export_writes_entries_back_in_the_files_style(sync_app, editor, tmp_path):
    db = services_of(sync_app).db()
    staff_edit(editor, ENTRY, "第一步，打开设置。\n第二步，点字体大小。")
    post_form(editor, "/staff/entry/health/salt/status", {"status": "retired"})
    response = post_form(editor, "/staff/sync/export", page="/staff/sync")
    assert response.status_code == 302
    exported = tmp_path / "export"
    text = (exported / "entries" / "sample.yaml").read_text(encoding="utf-8")
    assert text.startswith("# A small, fixed knowledge base")  # the file's header stays
    assert "  answer: |\n    第一步，打开设置。\n    第二步，点字体大小。\n" in text
    assert "    - 字太小了看不清\n" in text  # indented lists, unescaped Chinese
    assert "health/salt" not in text  # retired
    entries, problems = knowledge.load_directory(exported)
    assert problems == []
    assert sorted(entries, key=lambda e: e.id) == knowledge.active_entries(db)


def test_export_command(sync_app, tmp_path):
    runner = sync_app.test_cli_runner()
    result = runner.invoke(args=["kb", "export", "--to", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "exported" in result.output
    entries, problems = knowledge.load_directory(tmp_path / "out")
    assert problems == []
    assert {e.id for e in entries} >= {ENTRY, "health/salt"}


def change_file_answer(kb_dir, entry_id, answer):
    path = kb_dir / "entries" / "sample.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for raw in data:
        if raw["id"] == entry_id:
            raw["answer"] = answer
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_import_never_silently_overwrites_a_staff_edit(sync_app, editor, kb_copy):
    db = services_of(sync_app).db()
    staff_edit(editor, ENTRY, "网页上改的回答。")
    change_file_answer(kb_copy, ENTRY, "文件里改的回答。")
    change_file_answer(kb_copy, "health/salt", "每天不超过5克盐。")
    response = post_form(editor, "/staff/sync/import", page="/staff/sync")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "新增 0 条，更新 1 条" in page
    assert "网页上改过、文件里不同的 1 条没有动" in page
    assert '<li class="del">网页上改的回答。</li>' in page
    assert '<li class="add">文件里改的回答。</li>' in page
    assert knowledge.get_row(db, ENTRY)["answer"] == "网页上改的回答。"
    assert knowledge.get_row(db, "health/salt")["answer"] == "每天不超过5克盐。"
    # Replacing it takes an explicit request, and stays undoable.
    response = post_form(editor, "/staff/sync/take-file", {"id": ENTRY}, page="/staff/sync")
    assert response.status_code == 302
    row = knowledge.get_row(db, ENTRY)
    assert row["answer"] == "文件里改的回答。"
    assert row["updated_by"] == knowledge.IMPORTER
    assert answer_for(
        sync_app, "手机字太小怎么调大", ENTRY, starts="文件里改的回答"
    ).text.startswith("文件里改的回答。")
    actions = [r[0] for r in db.execute("select action from revisions where entry_id = ?", [ENTRY])]
    assert actions == ["import", "edit", "import"]


def test_export_then_import_hands_the_entry_back_to_the_files(sync_app, editor, kb_copy):
    sync_app.config["KB_EXPORT_DIR"] = ""
    services_of(sync_app).settings["KB_EXPORT_DIR"] = ""
    db = services_of(sync_app).db()
    staff_edit(editor, ENTRY, "网页上改的回答。")
    post_form(editor, "/staff/sync/export", page="/staff/sync")
    page = post_form(editor, "/staff/sync/import", page="/staff/sync").get_data(as_text=True)
    assert "1 条网页上的修改已经和文件一致" in page
    assert knowledge.get_row(db, ENTRY)["updated_by"] == knowledge.IMPORTER
    change_file_answer(kb_copy, ENTRY, "审核后在文件里改的。")
    post_form(editor, "/staff/sync/import", page="/staff/sync")
    assert knowledge.get_row(db, ENTRY)["answer"] == "审核后在文件里改的。"


def test_import_of_broken_files_changes_nothing_and_says_why(sync_app, editor, kb_copy):
    db = services_of(sync_app).db()
    before = knowledge.kb_version(db)
    (kb_copy / "entries" / "broken.yaml").write_text("- id: Bad Id\n", encoding="utf-8")
    response = post_form(editor, "/staff/sync/import", page="/staff/sync")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "文件有问题，这次什么都没有导入" in page
    assert "broken.yaml" in page
    assert knowledge.kb_version(db) == before
