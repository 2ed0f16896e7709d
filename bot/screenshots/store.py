"""The screenshot checks' tables: forwarded pictures waiting to be read (their address,
never the picture) and each verdict with the masked text."""

from sqlite_utils import Migrations

migrations = Migrations("screenshots")


def verdict_counts(db, start_day, end_day):
    """{verdict: checks} in a date range, for the reports."""
    return dict(
        db.execute(
            "select verdict, count(*) from screenshot_checks where day between ? and ?"
            " group by verdict",
            [start_day, end_day],
        ).fetchall()
    )


def purge_text(db, cutoff_day):
    """Clear the masked text of checks before a day (the same retention as typed text);
    the caller commits."""
    return db.execute(
        "update screenshot_checks set text = null where day < ? and text != ''", [cutoff_day]
    ).rowcount


@migrations()
def m302_screenshot_checks(db):
    """Forwarded screenshots waiting to be read (the picture's address only, never the
    picture), and each check's verdict with the masked text, for reports and review."""
    db["screenshot_jobs"].create(
        {
            "id": int,
            "user_sealed": str,
            "user_hash": str,
            "pic_url": str,
            "media_id": str,
            "created_at": float,
            "status": str,  # pending | reading | done | failed
            "attempts": int,
        },
        pk="id",
    )
    db["screenshot_checks"].create(
        {"ts": str, "day": str, "user_hash": str, "verdict": str, "kind": str, "text": str}
    )
    db["screenshot_checks"].create_index(["day"])
