"""The knowledge base's tables: entries and the version workers watch, every staff
revision, and the review-queue questions staff have dealt with."""

from sqlite_utils import Migrations

migrations = Migrations("kb")


@migrations()
def m001_knowledge(db):
    db["entries"].create(
        {
            "id": str,
            "category": str,
            "question": str,
            "phrasings": str,  # JSON list
            "answer": str,
            "source": str,
            "reviewed": str,
            "status": str,  # active | retired
            "origin_file": str,
            "updated_at": str,
            "updated_by": str,
        },
        pk="id",
    )
    db["entries"].create_index(["category"])
    # One row: bumped on every change so each worker knows to rebuild its index.
    db["kb_meta"].create({"key": str, "value": int}, pk="key")
    db["kb_meta"].insert({"key": "version", "value": 0})


@migrations()
def m102_entry_revisions(db):
    # Every staff change to an entry: who, when, what, and the whole entry after it.
    db["revisions"].create(
        {
            "id": int,
            "entry_id": str,
            "ts": str,  # ISO-8601 UTC
            "user": str,
            "action": str,  # import, create, edit, phrasing, retire, restore, rollback
            "snapshot": str,  # JSON of the entries row after the change
            "note": str,
        },
        pk="id",
    )
    db["revisions"].create_index(["entry_id", "id"])


@migrations()
def m103_review_handled(db):
    # Review-queue questions staff have dealt with (dismissed, added as a phrasing,
    # turned into an entry), by their normalised text; later askings show again.
    db["review_handled"].create(
        {"key": str, "ts": str, "user": str, "action": str, "entry_id": str},
        pk="key",
    )
