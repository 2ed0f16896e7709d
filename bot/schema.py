"""The database's schema: every component's migration set, applied in order.

Each component owns its tables and keeps their migrations beside its code (sqlite-utils
`Migrations("name")`); no module reads or writes another component's tables. Sets are
applied in this order because later ones build on earlier tables (the reports'
summaries are kept by triggers on the usage log).
"""

import sqlite_utils

from bot import usage
from bot.auth import accounts
from bot.chat import conversation
from bot.guardians import store as guardian_store
from bot.kb import schema as kb_schema
from bot.reports import schema as reports_schema
from bot.screenshots import store as screenshot_store
from bot.wechat import schema as wechat_schema

SETS = (
    kb_schema.migrations,
    usage.migrations,
    conversation.migrations,
    wechat_schema.migrations,
    accounts.migrations,
    reports_schema.migrations,
    guardian_store.migrations,
    screenshot_store.migrations,
)

# Databases made before the schema was split kept one set, "silverhelper". Their applied
# migrations move to the set that now holds them, so none is run a second time.
LEGACY_SET = "silverhelper"
LEGACY_NAMES = {
    "m001_knowledge": "kb",
    "m102_entry_revisions": "kb",
    "m103_review_handled": "kb",
    "m003_usage_log": "usage",
    "m005_feedback": "usage",
    "m006_fraud_alarm_flag": "usage",
    "m202_unanswered_index": "usage",
    "m004_conversations": "chat",
    "m002_processed_messages": "wechat",
    "m007_dedup_reply_without_openid": "wechat",
    "m008_seen_requests": "wechat",
    "m101_staff_users": "auth",
    "m104_login_attempts": "auth",
    "m105_session_version": "auth",
    "m201_report_summaries": "reports",
    "m301_guardians": "guardians",
    "m302_screenshot_checks": "screenshots",
}
MIGRATIONS_TABLE = "_sqlite_migrations"


def migrate(db):
    """Bring the database up to date (callers hold the start-up file lock)."""
    adopt_legacy_set(db)
    for migrations in SETS:
        migrations.apply(db)


def adopt_legacy_set(db):
    """Move a pre-split database's applied migrations to their component's set."""
    table = db[MIGRATIONS_TABLE]
    if not table.exists() or not table.count_where("migration_set = ?", [LEGACY_SET]):
        return
    with db.atomic():
        for name, owner in LEGACY_NAMES.items():
            db.execute(
                f"update {MIGRATIONS_TABLE} set migration_set = ?"
                " where migration_set = ? and name = ?",
                [owner, LEGACY_SET, name],
            )
        unknown = [row["name"] for row in table.rows_where("migration_set = ?", [LEGACY_SET])]
        if unknown:
            raise RuntimeError(f"migrations of no known component: {', '.join(unknown)}")


def owners():
    """{table name: component} as the migration sets create them, on a scratch database."""
    db = sqlite_utils.Database(memory=True)
    found, seen = {}, {MIGRATIONS_TABLE}
    for migrations in SETS:
        migrations.apply(db)
        for table in db.table_names():
            if table not in seen:
                found[table] = migrations.name
                seen.add(table)
    return found
