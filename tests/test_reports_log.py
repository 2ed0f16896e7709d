"""The log behind the reports: messages through the real webhook are counted, no openid
or personal number is stored, the summaries stay equal to the log, and the `report` and
`purge-text` commands."""

import csv
import datetime
import io
import random
import re
from collections import Counter

import openpyxl
import pytest

from bot import db as database
from bot import schema, usage
from bot.reports import queries
from bot.reports import schema as reports_schema
from tests.conftest import FIXTURE_KB, TOKEN
from tests.helpers import services_of
from tests.reportlog import FEEDBACK, FIRST, LAST, LOG, expected_overview, in_range, write_log
from tests.wxclient import event_xml, text_xml


def send(client, wechat, xml):
    request = wechat.plain(xml)
    response = client.post(request.url, data=request.body.encode("utf-8"), content_type="text/xml")
    assert response.status_code == 200
    return response


def test_messages_through_the_webhook_are_counted(app, logged_in_client, wechat):
    bot = app.test_client()
    sent = [
        ("oAlice", event_xml("subscribe", from_user="oAlice")),
        ("oBob", event_xml("subscribe", from_user="oBob")),
        ("oAlice", text_xml("一天吃多少盐", 501, from_user="oAlice")),
        ("oAlice", text_xml("微信怎么打视频电话", 502, from_user="oAlice")),
        ("oBob", text_xml("明天天气怎么样", 503, from_user="oBob")),
        ("oCarol", text_xml("96110是什么电话", 504, from_user="oCarol")),
        ("oDan", event_xml("unsubscribe", from_user="oDan")),
    ]
    for _, xml in sent:
        send(bot, wechat, xml)
    send(bot, wechat, sent[2][1])  # WeChat's retry of a message: logged once
    today = queries.today().isoformat()
    client = logged_in_client("viewer")
    rows = csv.reader(
        io.StringIO(
            client.get(
                "/reports/overview.csv", query_string={"from": today, "to": today}
            ).data.decode("utf-8-sig")
        )
    )
    figures = dict(list(rows)[1:])
    texts = [xml for user, xml in sent if "<MsgType><![CDATA[text]]>" in xml]
    assert int(figures["消息数"]) == len(texts) == 4
    assert int(figures["使用人数"]) == 3  # Alice, Bob, Carol; Dan only left
    assert int(figures["新关注"]) == 2 and int(figures["取消关注"]) == 1
    assert int(figures["未能回答"]) == 1  # the weather
    assert int(figures["直接回答"]) == 3


# -- privacy ---------------------------------------------------------------------------

OPENID = "oPrivacyUser9f8e7d6c5b4a"
NUMBERS = {
    "phone": "13812345678",
    "spaced phone": "138 1234 5678",
    "id card": "11010519491231002X",
    "bank card": "6222021234567890123",
}


def every_stored_text(db, skip=()):
    """Every text value in every table of the database."""
    for (table,) in db.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
    ).fetchall():
        if table in skip:
            continue
        for row in db.execute(f"select * from [{table}]").fetchall():
            for value in row:
                if isinstance(value, str):
                    yield table, value


def send_personal_numbers(app, wechat):
    bot = app.test_client()
    send(bot, wechat, event_xml("subscribe", from_user=OPENID))
    for i, number in enumerate(NUMBERS.values()):
        send(bot, wechat, text_xml(f"我的号码是{number}，帮我查查", 700 + i, from_user=OPENID))
    send(bot, wechat, text_xml("一天吃多少盐", 710, from_user=OPENID))
    send(bot, wechat, text_xml("没用，我电话13987654321", 711, from_user=OPENID))
    return services_of(app).db()


def test_no_raw_openid_or_personal_number_in_the_usage_log(app, wechat):
    db = send_personal_numbers(app, wechat)
    (logged,) = db.execute("select count(*) from messages").fetchone()
    assert logged == 1 + len(NUMBERS) + 2
    digits = [re.sub(r"\D", "", n) for n in NUMBERS.values()] + ["13987654321"]
    for table, value in every_stored_text(db, skip={"processed_messages"}):
        assert OPENID not in value, table
        compact = re.sub(r"[\s-]", "", value)
        for number in digits:
            assert number not in compact, (table, value)
    masked = [t for (t,) in db.execute("select text from messages where text like '我的号码%'")]
    assert sorted(masked) == sorted(
        ["我的号码是[手机号]，帮我查查"] * 2
        + ["我的号码是[身份证号]，帮我查查", "我的号码是[银行卡号]，帮我查查"]
    )


def test_no_raw_openid_anywhere_in_the_database(app, wechat):
    db = send_personal_numbers(app, wechat)
    for table, value in every_stored_text(db):
        assert OPENID not in value, table


# -- summaries -------------------------------------------------------------------------


def recount(db):
    """The summaries' figures counted again straight from the log."""
    return {
        "daily": db.execute(
            "select day, outcome, coalesce(category, ''), alarm, count(*) from messages"
            " group by 1, 2, 3, 4 order by 1, 2, 3, 4"
        ).fetchall(),
        "hourly": db.execute(
            "select day, hour, count(*) from messages where msg_type != 'event'"
            " group by 1, 2 order by 1, 2"
        ).fetchall(),
        "entries": db.execute(
            "select day, entry_id, outcome, count(*) from messages where entry_id is not null"
            " group by 1, 2, 3 order by 1, 2, 3"
        ).fetchall(),
        "users": db.execute(
            "select day, user_hash, count(*) from messages"
            " where msg_type != 'event' or event = 'click' group by 1, 2 order by 1, 2"
        ).fetchall(),
    }


def summaries(db):
    return {
        "daily": db.execute(
            "select day, outcome, category, alarm, sum(n) from report_daily"
            " group by 1, 2, 3, 4 order by 1, 2, 3, 4"
        ).fetchall(),
        "hourly": db.execute("select day, hour, n from report_hourly order by 1, 2").fetchall(),
        "entries": db.execute(
            "select day, entry_id, outcome, n from report_entries order by 1, 2, 3"
        ).fetchall(),
        "users": db.execute("select day, user_hash, n from report_users order by 1, 2").fetchall(),
    }


def test_summaries_follow_every_insert_and_delete(app):
    db = write_log(app)
    rng = random.Random(3)
    for _ in range(300):
        day = FIRST + datetime.timedelta(days=rng.randrange(40))
        kind = rng.choice(["text", "voice", "event", "image"])
        usage.record(
            db,
            hash_key="k",
            user=f"user{rng.randrange(12)}",
            msg_type=kind,
            event=rng.choice(["subscribe", "unsubscribe", "click"]) if kind == "event" else "",
            text="问题",
            outcome=rng.choice(["answered", "fallback", "choice", "menu"]),
            category=rng.choice([None, "health", "fraud"]),
            entry_id=rng.choice([None, "health/salt", "fraud/fake-police"]),
            alarm=rng.random() < 0.1,
            when=datetime.datetime.combine(
                day, datetime.time(rng.randrange(24)), tzinfo=usage.LOCAL_TZ
            ),
        )
    db.conn.commit()
    assert summaries(db) == recount(db)
    db.execute("delete from messages where id % 3 = 0")
    db.conn.commit()
    assert summaries(db) == recount(db)
    assert db.execute("select count(*) from report_users where n <= 0").fetchone()[0] == 0


def test_migration_fills_the_summaries_from_an_existing_log(tmp_path):
    db = database.connect(tmp_path / "old.db")
    for migrations in schema.SETS[: schema.SETS.index(reports_schema.migrations)]:
        migrations.apply(db)
    for day, hour, user, kind, event, text, outcome, entry, alarm in LOG:
        usage.record(
            db,
            hash_key="k",
            user=user,
            msg_type=kind,
            event=event,
            text=text,
            outcome=outcome,
            entry_id=entry,
            alarm=alarm,
            when=datetime.datetime.combine(day, datetime.time(hour), tzinfo=usage.LOCAL_TZ),
        )
    db.conn.commit()
    schema.migrate(db)
    assert summaries(db) == recount(db)
    assert sum(n for *_, n in summaries(db)["hourly"]) == sum(1 for r in LOG if r[3] != "event")


# -- command line ----------------------------------------------------------------------


@pytest.fixture
def runner(app):
    write_log(app)
    return app.test_cli_runner()


def test_report_command_writes_the_workbook(runner, tmp_path):
    path = tmp_path / "out.xlsx"
    result = runner.invoke(
        args=[
            "report",
            "--from",
            FIRST.isoformat(),
            "--to",
            LAST.isoformat(),
            "--format",
            "xlsx",
            "--output",
            str(path),
        ]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    values = dict(book["总体情况"].iter_rows(min_row=2, values_only=True))
    labels = dict(queries.OVERVIEW_LABELS)
    assert values == {labels[k]: v for k, v in expected_overview().items()}


def test_report_command_writes_one_csv_per_table(runner, tmp_path):
    folder = tmp_path / "csv"
    result = runner.invoke(
        args=[
            "report",
            "--from",
            FIRST.isoformat(),
            "--to",
            LAST.isoformat(),
            "--format",
            "csv",
            "--output",
            str(folder),
        ]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        f"{k}.csv"
        for k in (
            "overview",
            "trend",
            "hours",
            "categories",
            "entries",
            "feedback",
            "unanswered",
            "alarms",
        )
    )
    rows = list(csv.reader(io.StringIO((folder / "overview.csv").read_text("utf-8-sig"))))
    assert int(dict(rows[1:])["消息数"]) == expected_overview()["messages"]


def test_report_command_defaults_to_last_month(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(args=["report"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"银龄助手报表_{FIRST}_{LAST}.xlsx").exists()


def test_report_command_refuses_a_bad_date_clearly(runner):
    result = runner.invoke(args=["report", "--from", "2025-02-30", "--to", "2025-03-01"])
    assert result.exit_code == 2
    assert "看不懂" in result.output
    result = runner.invoke(args=["report", "--format", "pdf"])
    assert result.exit_code == 2


def test_purge_text_clears_old_text_and_keeps_every_count(app, runner):
    db = services_of(app).db()
    recent = datetime.datetime.now(usage.LOCAL_TZ)
    usage.record(
        db,
        hash_key="k",
        user="u",
        msg_type="text",
        text="最近的问题",
        outcome="fallback",
        when=recent,
    )
    db["feedback"].insert(
        {
            "ts": "",
            "day": recent.date().isoformat(),
            "user_hash": "h",
            "entry_id": "health/salt",
            "useful": 1,
            "question": "最近的反馈",
        }
    )
    db.conn.commit()
    before = queries.overview(db, FIRST, LAST)
    counts_before = summaries(db)
    days = (queries.today() - FIRST).days - 1  # keeps the first day of the range only
    result = runner.invoke(args=["purge-text", "--days", str(days)])
    assert result.exit_code == 0, result.output
    cutoff = (queries.today() - datetime.timedelta(days=days)).isoformat()
    older = [r for r in LOG if r[0].isoformat() < cutoff and r[5]]
    assert f"{len(older)} messages" in result.output

    assert queries.overview(db, FIRST, LAST) == before == expected_overview()
    assert summaries(db) == counts_before
    left = db.execute(
        "select count(*) from messages where text != '' and day < ?", [cutoff]
    ).fetchone()[0]
    assert left == 0
    kept = {t for (t,) in db.execute("select text from messages where text is not null")}
    assert kept >= {"最近的问题"} and "明天天气怎么样" not in kept
    questions = Counter(q for (q,) in db.execute("select question from feedback"))
    old_feedback = sum(1 for day, *_ in FEEDBACK if day.isoformat() < cutoff)
    assert questions[None] == old_feedback
    assert questions["最近的反馈"] == 1
    assert questions["问"] == len(FEEDBACK) - old_feedback
    assert f"{old_feedback} feedback rows" in result.output
    # What was said before the cutoff no longer shows among the unanswered questions.
    unanswered = queries.unanswered(db, FIRST, LAST, services_of(app).analyzer)
    assert sorted(u["question"] for u in unanswered) == sorted(
        r[5]
        for r in LOG
        if r[6] in ("fallback", "declined") and in_range(r[0]) and r[0].isoformat() >= cutoff
    )


def test_purge_text_needs_a_positive_number_of_days(runner):
    assert runner.invoke(args=["purge-text", "--days", "0"]).exit_code == 2
    assert runner.invoke(args=["purge-text"]).exit_code == 2


def test_report_command_works_from_the_flask_command_line(tmp_path):
    """`flask --app server report ...` as a coordinator types it, in a real process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(
        os.environ,
        BOT_DATABASE=str(tmp_path / "cli.db"),
        KNOWLEDGE_DIR=FIXTURE_KB,
        WECHAT_TOKEN=TOKEN,
    )
    out = tmp_path / "r.xlsx"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "server",
            "report",
            "--from",
            "2025-10-01",
            "--to",
            "2025-10-31",
            "--format",
            "xlsx",
            "--output",
            str(out),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert dict(book["总体情况"].iter_rows(min_row=2, values_only=True))["消息数"] == 0
