"""The house: folders show the layers, imports point down, and every table is read and
written only by the component whose migrations create it."""

import ast
import re
from pathlib import Path

from bot import schema

BOT = Path(__file__).resolve().parent.parent / "bot"
# The one seam between components' tables, on purpose: the reports' summaries are kept
# by triggers on the usage log (bot/reports/schema.py), so no report scans the log.
SEAMS = {("reports/schema.py", "messages")}
SQL_TABLE = re.compile(r"\b(?:from|join|into|update|table|on|exists)\s+([a-z_]+)", re.I)


def component(path):
    parts = path.relative_to(BOT).parts
    return parts[0].removesuffix(".py")


def strings(tree):
    """Every string a module can send to SQLite: constants and f-string pieces, not
    docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            yield node.value


def tables_used(path, known):
    tree = ast.parse(path.read_text())
    used = set()
    for text in strings(tree):
        used |= {name for name in SQL_TABLE.findall(text) if name in known}
    # db["table"]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value in known
            and getattr(node.value, "id", "") == "db"
        ):
            used.add(node.slice.value)
    return used


def test_every_table_is_used_only_by_its_owner():
    owners = schema.owners()
    trespass = []
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "schema.py" and path.parent == BOT:
            continue  # the composition of every set
        where = str(path.relative_to(BOT))
        for table in tables_used(path, owners):
            if owners[table] != component(path) and (where, table) not in SEAMS:
                trespass.append(f"{where} uses {table} (owned by {owners[table]})")
    assert trespass == []


def test_the_scanner_sees_sql_in_a_module(tmp_path):
    """The check above would pass on a scanner that sees nothing: make sure it sees."""
    module = tmp_path / "probe.py"
    module.write_text(
        '"""select * from entries"""\n'
        'db.execute("select count(*) from messages where day > ?")\n'
        'db.execute(f"update {x} set a = 1"); db["outbox"].insert({})\n'
    )
    assert tables_used(module, schema.owners()) == {"messages", "outbox"}


def test_a_database_from_before_the_split_keeps_its_data_and_runs_nothing_twice(tmp_path):
    from bot import db as database

    db = database.connect(tmp_path / "old.db")
    schema.migrate(db)
    db["entries"].insert({"id": "kept/one", "question": "留下来的条目"})
    db.conn.commit()
    # Rewrite the record as a database of the single-set days had it: one set, and
    # none of the migrations that came with the split.
    db.execute(f"delete from _sqlite_migrations where name not in ({_marks(schema)})")
    db.execute("update _sqlite_migrations set migration_set = ?", [schema.LEGACY_SET])
    db.conn.commit()

    schema.migrate(db)  # re-running m001_knowledge would fail: entries exists

    applied = {(row["migration_set"], row["name"]) for row in db["_sqlite_migrations"].rows}
    assert {name for s, name in applied if s == schema.LEGACY_SET} == set()
    for name, owner in schema.LEGACY_NAMES.items():
        assert (owner, name) in applied
    assert all(not m.pending(db) for m in schema.SETS)
    assert db["entries"].get("kept/one")["question"] == "留下来的条目"


def _marks(schema):
    return ", ".join(f"'{name}'" for name in schema.LEGACY_NAMES)


def test_every_outcome_has_one_chinese_name_and_replies_use_only_outcomes():
    from bot.outcomes import NAMES, Outcome

    assert set(NAMES) == set(Outcome)
    # A bare string where an outcome goes would be a second definition of it.
    for path in (BOT / "chat" / "dialogue.py", BOT / "services.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            is_reply = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Reply"
            if is_reply and len(node.args) > 1:
                assert not isinstance(node.args[1], ast.Constant), (path, node.lineno)


# Layers, bottom up. A module may import its own layer and those below it, never above.
# Entry points (blueprints and command lines) sit on top and may use everything.
LAYERS = (
    ("foundation", ("db", "privacy", "config", "errors", "headers", "outcomes", "poller")),
    ("search", ("search",)),
    ("storage", ("kb", "usage", "auth/accounts", "reports/schema", "wechat/schema")),
    ("dialogue", ("chat",)),
    ("services", ("guardians", "screenshots", "wechat", "reports")),
    ("wiring", ("services", "schema")),
    (
        "entry points",
        (
            "__init__",
            "auth",
            "staff",
            "wechat/webhook",
            "reports/__init__",
            "reports/views",
            "reports/cli",
            "kb/cli",
        ),
    ),
)


def layer_of(module):
    """The layer of a module path like 'kb/cli' or 'usage': the longest prefix wins."""
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + "/")
            if matches and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer"
    return best[0]


def module_path(path):
    return str(path.relative_to(BOT).with_suffix(""))


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            base = node.module.split(".")[1:]
            for alias in node.names:
                candidate = BOT.joinpath(*base, alias.name)
                if candidate.with_suffix(".py").exists():
                    yield "/".join([*base, alias.name])
                elif candidate.is_dir():
                    yield "/".join([*base, alias.name, "__init__"])
                else:
                    yield "/".join([*base, "__init__"])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bot."):
                    parts = alias.name.split(".")[1:]
                    is_package = BOT.joinpath(*parts).is_dir()
                    yield "/".join(parts + ["__init__"] if is_package else parts)


def test_imports_point_down_the_layers():
    upward = []
    for path in sorted(BOT.rglob("*.py")):
        me = module_path(path)
        for other in imported_modules(path):
            if layer_of(other) > layer_of(me):
                upward.append(f"{me} ({LAYERS[layer_of(me)][0]}) imports {other}")
    assert upward == []


def test_the_layer_check_sees_an_upward_import():
    assert layer_of("search/nlp") < layer_of("services")
    assert layer_of("kb/cli") > layer_of("kb/entries")


def test_search_is_pure_no_flask_and_no_database():
    for path in sorted((BOT / "search").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names]
                for name in names:
                    assert name.split(".")[0] not in {"flask", "sqlite3", "sqlite_utils"}, path


def test_the_readme_picture_names_every_module():
    readme = (BOT.parent / "README.md").read_text(encoding="utf-8")
    picture = readme.split("## How a message travels", 1)[1].split("```")[1]
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "__init__.py":
            assert f"bot/{path.parent.relative_to(BOT)}/" in picture or path.parent == BOT
            continue
        assert path.name in picture, f"{path.relative_to(BOT)} is not in the README's picture"


def test_test_modules_share_helpers_not_each_other():
    """Shared test code lives in helper modules (helpers, servers, reportlog, ...), so a
    test module can be read, moved or deleted on its own."""
    tests = BOT.parent / "tests"
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("tests.test_"), (path.name, node.module)
