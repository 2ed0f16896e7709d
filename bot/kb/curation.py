"""Staff changes to knowledge entries, checked like the knowledge-base check does.

Every change validates the entry (schema and size rules of `knowledge.entry_problems`,
near duplicates of `kbcheck.confusable_pairs`), writes it as the staff member, records a
revision, bumps the version (every worker rebuilds its index within seconds) and commits.
Problems come back in plain Chinese, each tied to the form field it is about.
"""

import datetime
import re

from bot.kb import entries as knowledge
from bot.kb import revisions
from bot.kb.check import confusable_pairs

FIELD_LABELS = {
    "id": "编号",
    "category": "分类",
    "question": "标题问题",
    "phrasings": "其他问法",
    "answer": "回答",
    "source": "来源",
    "reviewed": "审核日期",
}
CATEGORY_NAMES = knowledge.CATEGORY_NAMES
# entry_problems speaks to developers in English; staff read these instead.
_TRANSLATIONS = (
    (re.compile(r"missing field '(\w+)'"), None, "这一项不能空着。"),
    (
        re.compile(r"id must look like"),
        "id",
        "编号要像 phone/font-size 这样：小写英文字母、数字和短横线，中间用一个斜杠分开。",
    ),
    (re.compile(r"category must be one of"), "category", "请选择一个分类。"),
    (re.compile(r"'(question|answer|source)' must be non-empty text"), None, "这一项不能空着。"),
    (re.compile(r"'phrasings' must be a list"), "phrasings", "请每行写一种问法。"),
    (
        re.compile(r"needs at least (\d+) phrasings other than the question, has (\d+)"),
        "phrasings",
        "除标题问题外，至少要写 {0} 种不同的问法，现在有 {1} 种。",
    ),
    (
        re.compile(r"answer is (\d+) bytes, the limit is (\d+)"),
        "answer",
        "回答太长：现在 {0} 字节，最多 {1} 字节（一个汉字算 3 字节，约 600 个汉字），"
        "微信一次只能发这么多。",
    ),
    (re.compile(r"'reviewed' must be a date"), "reviewed", "审核日期要写成 2026-11-28 这样。"),
)


class Stale(Exception):
    """Someone else saved the entry after this form was opened."""


def translate(problem):
    """(field, Chinese message) for one `entry_problems` line."""
    for pattern, field, template in _TRANSLATIONS:
        found = pattern.search(problem)
        if found:
            groups = found.groups()
            if field is None:
                field, groups = groups[0], groups[1:]
            return field, template.format(*groups)
    return "", problem


def _clean_lines(text):
    seen, lines = set(), []
    for line in (text or "").replace("\r", "\n").split("\n"):
        line = line.strip()
        if line and line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def raw_from_form(form, entry_id=None):
    """The entry a staff form describes, as the same mapping a YAML file gives."""
    answer = (form.get("answer") or "").replace("\r\n", "\n").replace("\r", "\n")
    answer = "\n".join(line.rstrip() for line in answer.split("\n")).strip()
    return {
        "id": (entry_id if entry_id is not None else form.get("id") or "").strip().lower(),
        "category": (form.get("category") or "").strip(),
        "question": (form.get("question") or "").strip(),
        "phrasings": _clean_lines(form.get("phrasings")),
        "answer": answer,
        "source": (form.get("source") or "").strip(),
        "reviewed": (form.get("reviewed") or "").strip(),
    }


def today():
    return datetime.date.today().isoformat()


def answer_bytes(raw):
    return len((raw.get("answer") or "").strip().encode("utf-8"))


def problems(db, analyzer, raw, is_new=False):
    """[(field, message)]: what stops this entry from being saved as active."""
    found = [translate(p) for p in knowledge.entry_problems(raw, "form")]
    if is_new and raw.get("id") and knowledge.get_row(db, raw["id"]) is not None:
        found.append(("id", "这个编号已经有了，请换一个，或者去修改原来那一条。"))
    if found:
        return found
    return near_duplicates(db, analyzer, knowledge.entry_from_raw(raw))


def near_duplicates(db, analyzer, entry):
    """[(field, message)] for each active entry the retriever could not tell apart
    from this one (the same rule as `flask kb check`)."""
    others = [e for e in knowledge.active_entries(db) if e.id != entry.id]
    titles = {e.id: e.question for e in others}
    found = []
    for a, b, ratio in confusable_pairs([*others, entry], analyzer):
        if entry.id not in (a, b):
            continue
        other = b if a == entry.id else a
        found.append(
            (
                "question",
                f"和已有的条目“{titles[other]}”（{other}）太像了（相似度 {ratio:.2f}），"
                "机器人分不清该回答哪一条。请改写标题问题或问法，"
                "或者把这些问法加到那一条里。",
            )
        )
    return found


def _finish(db):
    knowledge.bump_version(db)
    db.conn.commit()


def _check_fresh(row, seen_updated_at):
    if seen_updated_at and row is not None and row["updated_at"] != seen_updated_at:
        raise Stale()


def save(db, analyzer, raw, user, is_new=False, seen_updated_at=None):
    """Validate and save a created or edited entry; [] when saved, else the problems."""
    row = knowledge.get_row(db, raw["id"])
    if not is_new:
        _check_fresh(row, seen_updated_at)
    found = problems(db, analyzer, raw, is_new)
    if found:
        return found
    if not is_new:
        revisions.ensure_baseline(db, raw["id"])
    status = "active" if is_new or row is None else row["status"]
    entry = knowledge.entry_from_raw(raw, (row or {}).get("origin_file") or "")
    knowledge.store_entry(db, entry, user, status)
    revisions.record(db, raw["id"], user, "create" if is_new else "edit")
    _finish(db)
    return []


def set_status(db, analyzer, entry_id, status, user):
    """Retire or restore an entry; restoring is checked for near duplicates first."""
    row = knowledge.get_row(db, entry_id)
    if row is None or row["status"] == status:
        return []
    entry = knowledge.entry_from_row(row)
    if status == "active":
        found = near_duplicates(db, analyzer, entry)
        if found:
            return found
    revisions.ensure_baseline(db, entry_id)
    knowledge.store_entry(db, entry, user, status)
    revisions.record(db, entry_id, user, "retire" if status == "retired" else "restore")
    _finish(db)
    return []


def add_phrasing(db, analyzer, entry_id, text, user):
    """Add a resident's wording as another phrasing of an entry; [] when done."""
    row = knowledge.get_row(db, entry_id)
    if row is None or row["status"] != "active":
        return [("", "找不到这个条目，或者它已经停用。")]
    text = " ".join((text or "").split())
    if not text:
        return [("phrasings", "要添加的问法是空的。")]
    if len(text) > 100:
        return [("phrasings", "这句问法太长（超过 100 个字），请先改短一些。")]
    entry = knowledge.entry_from_row(row)
    if text in entry.all_phrasings:
        return [("phrasings", "这个条目里已经有这句问法了。")]
    raw = knowledge.raw_from_entry(entry)
    raw["phrasings"] = [*raw["phrasings"], text]
    found = problems(db, analyzer, raw)
    if found:
        return found
    revisions.ensure_baseline(db, entry_id)
    knowledge.store_entry(db, knowledge.entry_from_raw(raw, entry.origin_file), user)
    revisions.record(db, entry_id, user, "phrasing", note=text)
    _finish(db)
    return []


def rollback(db, analyzer, revision, user):
    """Make the entry what it was at `revision` (itself recorded as a new revision)."""
    data = revision["data"]
    raw = {name: data[name] for name in knowledge.REQUIRED_FIELDS}
    status = data.get("status", "active")
    found = [translate(p) for p in knowledge.entry_problems(raw, "revision")]
    if not found and status == "active":
        found = near_duplicates(db, analyzer, knowledge.entry_from_raw(raw))
    if found:
        return found
    revisions.ensure_baseline(db, raw["id"])
    entry = knowledge.entry_from_raw(raw, data.get("origin_file") or "")
    knowledge.store_entry(db, entry, user, status)
    revisions.record(db, raw["id"], user, "rollback", note=f"回到 {revision['ts'][:16]} 的版本")
    _finish(db)
    return []


def take_file_version(db, entry, user):
    """Replace a staff-edited entry by its file version, at a staff member's explicit
    request (an import alone never does this); the files own it again afterwards."""
    revisions.ensure_baseline(db, entry.id)
    knowledge.store_entry(db, entry, knowledge.IMPORTER)
    revisions.record(db, entry.id, user, "import", note="用文件里的版本替换")
    _finish(db)
