"""Revisions of knowledge entries: every staff change with who, when and the whole
entry after it, so any change can be shown as a difference and rolled back."""

import datetime
import difflib
import json

from bot.kb import entries as knowledge

ACTION_NAMES = {
    "import": "从文件导入",
    "create": "新建",
    "edit": "修改",
    "phrasing": "加问法",
    "retire": "停用",
    "restore": "恢复使用",
    "rollback": "回退",
}
FIELD_NAMES = (
    ("status", "状态"),
    ("category", "分类"),
    ("question", "标题问题"),
    ("phrasings", "其他问法"),
    ("answer", "回答"),
    ("source", "来源"),
    ("reviewed", "审核日期"),
)
STATE_FIELDS = ("id", *(name for name, _ in FIELD_NAMES), "origin_file")


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def entry_state(row):
    """The parts of an entries row that a revision keeps (its `snapshot` column: the
    entry as it stood, not the index snapshot of bot.kb.index)."""
    data = {name: row[name] for name in STATE_FIELDS}
    if isinstance(data["phrasings"], str):
        data["phrasings"] = json.loads(data["phrasings"])
    return data


def record(db, entry_id, user, action, note=""):
    """Keep the entry as it now stands, as one revision (the caller commits)."""
    row = knowledge.get_row(db, entry_id)
    return (
        db["revisions"]
        .insert(
            {
                "entry_id": entry_id,
                "ts": _now(),
                "user": user,
                "action": action,
                "snapshot": json.dumps(entry_state(row), ensure_ascii=False),
                "note": note,
            }
        )
        .last_pk
    )


def ensure_baseline(db, entry_id):
    """Before the first staff change to an imported entry, keep how it was, so the
    first change can be rolled back too."""
    row = knowledge.get_row(db, entry_id)
    if row is None:
        return
    has_any = db.execute(
        "select 1 from revisions where entry_id = ? limit 1", [entry_id]
    ).fetchone()
    if not has_any:
        db["revisions"].insert(
            {
                "entry_id": entry_id,
                "ts": row["updated_at"] or _now(),
                "user": row["updated_by"] or knowledge.IMPORTER,
                "action": "import" if row["updated_by"] == knowledge.IMPORTER else "edit",
                "snapshot": json.dumps(entry_state(row), ensure_ascii=False),
                "note": "",
            }
        )


def history(db, entry_id):
    """Revisions newest first, each with its snapshot decoded and a number (1 = oldest)."""
    rows = list(db.query("select * from revisions where entry_id = ? order by id", [entry_id]))
    for number, row in enumerate(rows, start=1):
        row["number"] = number
        row["data"] = json.loads(row["snapshot"])
        row["action_name"] = ACTION_NAMES.get(row["action"], row["action"])
    return list(reversed(rows))


def get(db, revision_id):
    rows = list(db.query("select * from revisions where id = ?", [revision_id]))
    if not rows:
        return None
    row = rows[0]
    row["data"] = json.loads(row["snapshot"])
    return row


_SHOWN_AS = {"status": knowledge.STATUS_NAMES, "category": knowledge.CATEGORY_NAMES}


def _lines(value, name=""):
    if isinstance(value, list):
        return [str(v) for v in value]
    value = _SHOWN_AS.get(name, {}).get(value, value)
    return str(value or "").splitlines() or [""]


def diff(before, after):
    """[(field label, [(kind, line)])] for the fields that differ; kind is add, del or
    same. `before` may be None (a new entry)."""
    changes = []
    for name, label in FIELD_NAMES:
        old = _lines(before.get(name), name) if before else []
        new = _lines(after.get(name), name)
        if old == new:
            continue
        lines = []
        for line in difflib.ndiff(old, new):
            tag, text = line[:2], line[2:]
            if tag == "+ ":
                lines.append(("add", text))
            elif tag == "- ":
                lines.append(("del", text))
            elif tag == "  ":
                lines.append(("same", text))
        changes.append((label, lines))
    return changes
