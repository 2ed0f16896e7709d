"""The reports' own tables: per-day summaries of the usage log, kept by triggers on it,
so no report waits on a scan of a million rows."""

from sqlite_utils import Migrations

migrations = Migrations("reports")

# Report summaries, kept by triggers so the reports page never scans the whole log.
_REPORT_KIND = """case when {r}.msg_type = 'event' then case {r}.event
    when 'subscribe' then 'follow' when 'subscribe_scan' then 'follow'
    when 'unsubscribe' then 'unfollow' when 'click' then 'click' else 'event' end
  else 'message' end"""
# table: (key columns with types, value expressions over the row {r}, which rows count)
_REPORT_SUMMARIES = {
    "report_daily": (
        (
            ("day", "text"),
            ("kind", "text"),
            ("outcome", "text"),
            ("category", "text"),
            ("alarm", "integer"),
        ),
        (
            "{r}.day",
            _REPORT_KIND,
            "coalesce({r}.outcome, '')",
            "coalesce({r}.category, '')",
            "coalesce({r}.alarm, 0)",
        ),
        "1",
    ),
    "report_hourly": (
        (("day", "text"), ("hour", "integer")),
        ("{r}.day", "coalesce({r}.hour, 0)"),
        "{r}.msg_type != 'event'",
    ),
    "report_entries": (
        (("day", "text"), ("entry_id", "text"), ("outcome", "text")),
        ("{r}.day", "{r}.entry_id", "coalesce({r}.outcome, '')"),
        "{r}.entry_id is not null",
    ),
    # Active users: sent a message or clicked the menu (a follow alone does not count).
    "report_users": (
        (("day", "text"), ("user_hash", "text")),
        ("{r}.day", "{r}.user_hash"),
        "({r}.msg_type != 'event' or {r}.event = 'click') and {r}.user_hash is not null",
    ),
}


@migrations()
def m201_report_summaries(db):
    """Per-day counts for the reports page: filled from the existing log, then kept
    current by triggers on every insert or delete, so no report waits on a full scan."""
    inserts, deletes = [], []
    for table, (keys, values, condition) in _REPORT_SUMMARIES.items():
        names = ", ".join(name for name, _ in keys)
        columns = ", ".join(f"{name} {kind} not null" for name, kind in keys)
        db.execute(
            f"create table {table} ({columns}, n integer not null, primary key ({names}))"
            " without rowid"
        )
        new = ", ".join(v.format(r="new") for v in values)
        db.execute(
            f"insert into {table} ({names}, n) select {', '.join(v.format(r='m') for v in values)},"
            f" count(*) from messages m where {condition.format(r='m')}"
            f" group by {', '.join(str(i + 1) for i in range(len(keys)))}"
        )
        inserts.append(
            f"insert into {table} ({names}, n) select {new}, 1"
            f" where {condition.format(r='new')} on conflict do update set n = n + 1;"
        )
        match = " and ".join(
            f"{name} = {value.format(r='old')}" for (name, _), value in zip(keys, values)
        )
        deletes.append(
            f"update {table} set n = n - 1 where {condition.format(r='old')} and {match};"
            f" delete from {table} where n <= 0 and {match};"
        )
    for when, statements in (("insert", inserts), ("delete", deletes)):
        db.execute(
            f"create trigger report_on_{when} after {when} on messages begin\n"
            + "\n".join(statements)
            + "\nend"
        )
