"""Knowledge entries: read from `knowledge/entries/*.yaml`, validated, kept in SQLite.

The YAML files are the reviewable source; the database is what the running service
reads, so that staff edits and every worker process see one version of the truth.
"""

import contextlib
import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CATEGORIES = ("smartphone", "fraud", "health", "rumour", "services")
ID_PATTERN = re.compile(r"^[a-z]+/[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED_FIELDS = ("id", "category", "question", "phrasings", "answer", "source", "reviewed")
# `active: false` ships an entry that is not served yet (the county's local template).
OPTIONAL_FIELDS = ("active",)
MIN_PHRASINGS = 5
# WeChat's passive text reply is at most 2,048 bytes; the dialogue adds a short footer.
MAX_ANSWER_BYTES = 1800
IMPORTER = "import"


class KnowledgeError(Exception):
    """The knowledge base is invalid; `problems` says exactly where and why."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("invalid knowledge base:\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class Entry:
    id: str
    category: str
    question: str
    phrasings: tuple
    answer: str
    source: str
    reviewed: str
    origin_file: str = field(default="", compare=False)

    @property
    def all_phrasings(self):
        """The title first, then every other phrasing: what the retriever indexes."""
        return (self.question, *self.phrasings)


def entry_problems(raw, where):
    """Schema problems of one raw entry (a dict from YAML or a staff form)."""
    if not isinstance(raw, dict):
        return [f"{where}: an entry must be a mapping, got {type(raw).__name__}"]
    entry_id = raw.get("id", "?")
    at = f"{where}: {entry_id}"
    problems = [f"{at}: missing field '{name}'" for name in REQUIRED_FIELDS if name not in raw]
    if problems:
        return problems
    unknown = sorted(set(raw) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        problems.append(f"{at}: unknown field(s) {', '.join(unknown)}")
    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        problems.append(f"{at}: id must look like 'phone/font-size'")
    if raw["category"] not in CATEGORIES:
        problems.append(f"{at}: category must be one of {', '.join(CATEGORIES)}")
    for name in ("question", "answer", "source"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            problems.append(f"{at}: '{name}' must be non-empty text")
    phrasings = raw["phrasings"]
    if not isinstance(phrasings, list) or not all(
        isinstance(p, str) and p.strip() for p in phrasings
    ):
        problems.append(f"{at}: 'phrasings' must be a list of non-empty texts")
    else:
        distinct = {p.strip() for p in phrasings} - {str(raw["question"]).strip()}
        if len(distinct) < MIN_PHRASINGS:
            problems.append(
                f"{at}: needs at least {MIN_PHRASINGS} phrasings other than the question,"
                f" has {len(distinct)}"
            )
    if isinstance(raw["answer"], str):
        size = len(raw["answer"].strip().encode("utf-8"))
        if size > MAX_ANSWER_BYTES:
            problems.append(f"{at}: answer is {size} bytes, the limit is {MAX_ANSWER_BYTES}")
    if "active" in raw and not isinstance(raw["active"], bool):
        problems.append(f"{at}: 'active' must be true or false")
    if isinstance(raw["answer"], str) and raw.get("active", True) is not False:
        problems.extend(f"{at}: {p}" for p in voice_problems(raw["answer"]))
    reviewed = raw["reviewed"]
    if isinstance(reviewed, str):
        try:
            datetime.date.fromisoformat(reviewed)
        except ValueError:
            problems.append(f"{at}: 'reviewed' must be a date like 2026-11-28")
    elif not isinstance(reviewed, datetime.date):
        problems.append(f"{at}: 'reviewed' must be a date like 2026-11-28")
    return problems


# The only numbers an answer may tell people to call (checked against official sources).
VERIFIED_NUMBERS = frozenset(
    {
        "110",
        "120",
        "119",
        "122",
        "96110",
        "12381",
        "12315",
        "12345",
        "12320",
        "12333",
        "12356",
        "95017",
        "12306",
        "12393",
        "12348",
        "95598",
    }
)
_CALL = re.compile(r"(?:打|拨|电话|热线|致电|号码|来电)\D{0,6}?(\d{3,11})")
_LIST_START = re.compile(r"^\s*1[.．、]", re.M)
# What a template entry holds until the county fills it in.
_PLACEHOLDER = re.compile(r"【请填写|待填写|XXXX|xxxx|\{\{|TODO")
_SENTENCE = re.compile(r"[^。！？；\n]+")
LONG_SENTENCE = 40


def voice_problems(answer):
    """What a machine can check of the one voice: 您 not 你, one numbered list, only
    verified numbers, no placeholder left in a served entry."""
    problems = []
    if "你" in answer.replace("迷你", ""):
        problems.append("answer says 你; the bot says 您")
    if len(_LIST_START.findall(answer)) > 1:
        problems.append("answer has two numbered lists; keep one")
    unknown = sorted({n for n in _CALL.findall(answer) if n not in VERIFIED_NUMBERS})
    if unknown:
        problems.append(f"answer names unverified number(s) {', '.join(unknown)}")
    if _PLACEHOLDER.search(answer):
        problems.append("answer still holds a placeholder; fill it in or set active: false")
    return problems


def voice_warnings(entry):
    """Sentences over LONG_SENTENCE characters: a warning, not a refusal."""
    long = [s for s in _SENTENCE.findall(entry.answer) if len(s.strip()) > LONG_SENTENCE]
    if not long:
        return []
    return [f"{entry.origin_file}: {entry.id}: {len(long)} sentence(s) over {LONG_SENTENCE} chars"]


def entry_from_raw(raw, origin_file=""):
    return Entry(
        id=raw["id"],
        category=raw["category"],
        question=raw["question"].strip(),
        phrasings=tuple(p.strip() for p in raw["phrasings"]),
        answer=raw["answer"].strip(),
        source=raw["source"].strip(),
        reviewed=str(raw["reviewed"]),
        origin_file=origin_file,
    )


def load_directory(knowledge_dir):
    """All entries under `entries/`, plus every problem found (file and id named)."""
    entries, problems, seen = [], [], {}
    files = sorted((Path(knowledge_dir) / "entries").glob("*.yaml"))
    if not files:
        problems.append(f"{knowledge_dir}: no entries/*.yaml files")
    for path in files:
        name = path.name
        try:
            # libyaml's loader: the pure-Python one takes over a second for the whole base.
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            problems.append(f"{name}: not valid YAML: {error}")
            continue
        if not isinstance(data, list):
            problems.append(f"{name}: must be a YAML list of entries")
            continue
        for position, raw in enumerate(data, start=1):
            found = entry_problems(raw, f"{name} #{position}")
            if found:
                problems.extend(found)
                continue
            if raw["id"] in seen:
                problems.append(f"{name}: {raw['id']}: duplicate id (also in {seen[raw['id']]})")
                continue
            seen[raw["id"]] = name
            if raw.get("active", True) is not False:
                entries.append(entry_from_raw(raw, name))
    return entries, problems


def load_out_of_scope(knowledge_dir):
    """Questions the bot must decline (`out_of_scope.tsv`, `-<TAB>question` a line): the
    retriever learns from them what is not its business."""
    path = Path(knowledge_dir) / "out_of_scope.tsv"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.partition("\t")[2].strip() for line in lines if line.strip()]


# --- storage -------------------------------------------------------------------------


def _row(entry, by):
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "phrasings": json.dumps(list(entry.phrasings), ensure_ascii=False),
        "answer": entry.answer,
        "source": entry.source,
        "reviewed": entry.reviewed,
        "status": "active",
        "origin_file": entry.origin_file,
        "updated_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "updated_by": by,
    }


def _entry(row):
    return Entry(
        id=row["id"],
        category=row["category"],
        question=row["question"],
        phrasings=tuple(json.loads(row["phrasings"])),
        answer=row["answer"],
        source=row["source"],
        reviewed=row["reviewed"],
        origin_file=row["origin_file"] or "",
    )


def missing_files(db, knowledge_dir):
    """{file name: [active entry ids]} for files the database's entries came from that are
    no longer in the knowledge folder. A vanished file is a problem to fix, never a reason
    to retire its entries quietly."""
    present = {p.name for p in (Path(knowledge_dir) / "entries").glob("*.yaml")}
    missing = {}
    for row in db.query(
        "select id, origin_file from entries where status = 'active' and origin_file != ''"
        " order by id"
    ):
        if row["origin_file"] not in present:
            missing.setdefault(row["origin_file"], []).append(row["id"])
    return missing


def missing_file_problems(db, knowledge_dir):
    return [
        f"{name}: the file is missing, and its {len(ids)} active entries are kept."
        " Restore it, or retire them with `flask --app server kb retire-missing`."
        for name, ids in missing_files(db, knowledge_dir).items()
    ]


def retire_entries(db, ids):
    """Retire entries on an explicit request (the caller lists them first)."""
    with db.atomic():
        for entry_id in ids:
            db["entries"].update(entry_id, {"status": "retired"})
        if ids:
            bump_version(db)


def sync_from_files(db, entries):
    """Bring file entries into the database without overwriting a staff edit.

    New entries are added; entries last written by an import are updated, or retired
    when their file (still there) no longer has them; an entry a person has edited since
    is left as it is and reported. Entries of a file that is gone are left alone: see
    `missing_files`. Returns (added, updated, kept, retired) id lists.
    """
    added, updated, kept, retired = [], [], [], []
    table = db["entries"]
    in_files = {entry.id for entry in entries}
    files = {entry.origin_file for entry in entries}
    with db.atomic():
        for row in db.query(
            "select id, origin_file from entries where updated_by = ? and status = 'active'",
            [IMPORTER],
        ):
            if row["id"] not in in_files and row["origin_file"] in files:
                table.update(row["id"], {"status": "retired"})
                retired.append(row["id"])
        for entry in entries:
            try:
                row = table.get(entry.id)
            except Exception:  # sqlite_utils.db.NotFoundError
                row = None
            if row is None:
                table.insert(_row(entry, IMPORTER))
                added.append(entry.id)
            elif row["updated_by"] != IMPORTER:
                kept.append(entry.id)
            elif _entry(row) != entry or row["status"] != "active":
                table.upsert(_row(entry, IMPORTER), pk="id")
                updated.append(entry.id)
        if added or updated or retired:
            bump_version(db)
    return added, updated, kept, retired


def active_entries(db):
    rows = db.query("select * from entries where status = 'active' order by id")
    return [_entry(row) for row in rows]


def kb_version(db):
    return db.execute("select value from kb_meta where key = 'version'").fetchone()[0]


def bump_version(db):
    db.execute("update kb_meta set value = value + 1 where key = 'version'")


# --- staff curation and export -------------------------------------------------------

# The one name of each category, wherever it is shown: the menu residents read, the
# staff pages and the reports (order as in CATEGORIES).
CATEGORY_NAMES = {
    "smartphone": "手机和微信",
    "fraud": "防诈骗",
    "health": "健康知识",
    "rumour": "辟谣",
    "services": "便民服务",
}
STATUS_NAMES = {"active": "在用", "retired": "已停用"}


def get_row(db, entry_id):
    """The stored row of one entry (active or retired), or None."""
    rows = list(db.query("select * from entries where id = ?", [entry_id]))
    return rows[0] if rows else None


def entry_from_row(row):
    return _entry(row)


def raw_from_entry(entry):
    """The entry as the plain mapping of its YAML file (and of the staff form)."""
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "phrasings": list(entry.phrasings),
        "answer": entry.answer,
        "source": entry.source,
        "reviewed": entry.reviewed,
    }


def default_origin_file(entry_id):
    """A new entry goes to the file named after its id's prefix: wechat/x → wechat.yaml."""
    return entry_id.split("/", 1)[0] + ".yaml"


def store_entry(db, entry, by, status="active"):
    """Write one entry as `by` wrote it (a staff name keeps imports off it); the caller
    records the revision, bumps the version and commits."""
    row = _row(entry, by)
    row["status"] = status
    if not row["origin_file"]:
        existing = get_row(db, entry.id)
        row["origin_file"] = (existing or {}).get("origin_file") or default_origin_file(entry.id)
    db["entries"].upsert(row, pk="id")
    return row


def search_entries(db, text="", category="", status="active", limit=None, offset=0):
    """(rows, total): entries whose id, question, phrasings or answer contain `text`."""
    where, params = [], []
    if status in ("active", "retired"):
        where.append("status = ?")
        params.append(status)
    if category:
        where.append("category = ?")
        params.append(category)
    for word in (text or "").split():
        where.append(
            "(instr(lower(id), lower(?)) or instr(question, ?) or instr(phrasings, ?)"
            " or instr(answer, ?))"
        )
        params.extend([word, word, json.dumps(word, ensure_ascii=False)[1:-1], word])
    sql_where = (" where " + " and ".join(where)) if where else ""
    total = db.execute(f"select count(*) from entries{sql_where}", params).fetchone()[0]
    sql = f"select * from entries{sql_where} order by category, id"
    if limit:
        sql += f" limit {int(limit)} offset {int(offset)}"
    return list(db.query(sql, params)), total


def titles(db, entry_ids):
    """{id: (question, category)} for these entries, whatever their status."""
    ids, found = list(entry_ids), {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for entry_id, question, category in db.execute(
            f"select id, question, category from entries where id in ({marks})", chunk
        ):
            found[entry_id] = (question, category)
    return found


def staff_edits(db):
    """Entries staff changed since the last import from the files, the latest first."""
    return list(
        db.query(
            "select id, question, updated_by, updated_at, status from entries"
            " where updated_by != ? order by updated_at desc",
            [IMPORTER],
        )
    )


def kept_file_ownership(db, entries):
    """Hand entries back to the files where a staff edit and the file now agree (after an
    export was reviewed and imported): later file changes then import as usual. Returns
    the ids released; the caller commits."""
    released = []
    for entry in entries:
        row = get_row(db, entry.id)
        if (
            row is not None
            and row["updated_by"] != IMPORTER
            and row["status"] == "active"
            and _entry(row) == entry
        ):
            db["entries"].update(entry.id, {"updated_by": IMPORTER})
            released.append(entry.id)
    return released


class _ExportDumper(yaml.SafeDumper):
    """The house style of knowledge/entries: indented lists, block-literal answers."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_text(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ExportDumper.add_representer(str, _represent_text)


def entry_yaml(entry):
    """One entry as a YAML list item, in the files' own style."""
    raw = raw_from_entry(entry)
    raw["answer"] = "\n".join(line.rstrip() for line in entry.answer.splitlines()) + "\n"
    with contextlib.suppress(ValueError):  # a date is written unquoted, as people write it
        raw["reviewed"] = datetime.date.fromisoformat(entry.reviewed)
    return yaml.dump([raw], Dumper=_ExportDumper, allow_unicode=True, sort_keys=False, width=1000)


def _header(path):
    """The comment lines a file starts with, kept as they are."""
    if not path.exists():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or (not line.strip() and lines):
            lines.append(line)
        else:
            break
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n\n" if lines else ""


def export_entries(db, directory, headers_from=None):
    """Write every active entry back to `directory/entries/<origin_file>`, so the files
    show staff changes for review, versioning and backup. A file whose entries were all
    retired is left holding an empty list. A file's opening comments are kept (taken from
    `headers_from`/entries when the target is new). Returns {file name: entries written}."""
    base = Path(directory) / "entries"
    base.mkdir(parents=True, exist_ok=True)
    by_file = {}
    for row in db.query("select * from entries where status = 'active' order by rowid"):
        name = row["origin_file"] or default_origin_file(row["id"])
        by_file.setdefault(name, []).append(_entry(row))
    for path in base.glob("*.yaml"):
        by_file.setdefault(path.name, [])
    written = {}
    for name, entries in sorted(by_file.items()):
        path = base / name
        body = "\n".join(entry_yaml(e) for e in entries) if entries else "[]\n"
        header = _header(path)
        if not header and headers_from:
            header = _header(Path(headers_from) / "entries" / name)
        text = header + body
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(".yaml.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        written[name] = len(entries)
    return written
