"""Report speed on a large usage log: every report query and the whole page.

    python bench/reports.py [--rows 1000000] [--days 365] [--keep PATH]

Builds the app on a temporary SQLite file with the real knowledge base, writes a usage
log of `rows` messages over the `days` days before today (through the same insert and
triggers the webhook uses), with realistic shares: a few very active users and many
occasional ones, mornings and evenings busiest, most questions answered, one in six
declined with wordings drawn from a long-tailed pool, fraud alarms and 有用 / 没用
replies. Then times each report query for last month and for the whole range, and the
report page, the workbook and one CSV through HTTP as a logged-in viewer; prints a
table. The page must answer within 2 seconds.
"""

import argparse
import datetime
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import auth, create_app, usage  # noqa: E402
from bot.privacy import user_hash  # noqa: E402
from bot.reports import queries  # noqa: E402

PAGE_BUDGET_SECONDS = 2.0
PASSWORD = "bench-password-1"
HOUR_WEIGHTS = [1, 1, 1, 1, 2, 6, 14, 18, 16, 12, 9, 8, 6, 7, 9, 10, 9, 8, 10, 13, 12, 8, 4, 2]
UNANSWERED = [
    "明天天气怎么样",
    "医保卡丢了怎么补办",
    "养老金什么时候涨",
    "社区医院几点开门",
    "怎么给孙子寄快递",
    "广场舞音乐怎么下载",
    "高铁票怎么退",
    "老年证在哪里办",
    "电费怎么交",
    "手机总是自己关机",
    "降压药能不能停",
    "怎么看直播",
]
SUFFIXES = ["", "呀", "啊", "？", "呢", "请问", "我想问", "谢谢"]


def generate(db, rows, days, key, seed=7):
    """Insert `rows` usage rows over the `days` days before today; returns seconds taken."""
    rng = random.Random(seed)
    entries = list(db.query("select id, category from entries where status = 'active'"))
    entry_weights = [1 / (i + 1) ** 0.9 for i in range(len(entries))]
    fraud = [e for e in entries if e["category"] == "fraud"]
    users = [user_hash(f"oBench{i:06d}", key) for i in range(20_000)]
    user_weights = [1 / (i + 1) ** 0.8 for i in range(len(users))]
    pool = [p + q + s for q in UNANSWERED for p in ("", "请问") for s in SUFFIXES]
    pool += [f"{q}第{i}个问题" for q in UNANSWERED for i in range(300)]
    pool_weights = [1 / (i + 1) ** 0.7 for i in range(len(pool))]
    today = queries.today()
    first = today - datetime.timedelta(days=days)
    # More use as the service becomes known, less at weekends.
    day_weights = [
        (0.5 + i / days) * (0.8 if (first + datetime.timedelta(days=i)).weekday() >= 5 else 1)
        for i in range(days)
    ]
    insert_feedback = (
        "insert into feedback (ts, day, user_hash, entry_id, useful, question)"
        " values (?, ?, ?, ?, ?, ?)"
    )
    started = time.perf_counter()
    batch, feedback = [], []
    day_picks = rng.choices(range(days), day_weights, k=rows)
    hour_picks = rng.choices(range(24), HOUR_WEIGHTS, k=rows)
    user_picks = rng.choices(users, user_weights, k=rows)
    for n in range(rows):
        day = first + datetime.timedelta(days=day_picks[n])
        hour = hour_picks[n]
        local = datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60)))
        ts = (local - datetime.timedelta(hours=8)).isoformat(timespec="seconds") + "+00:00"
        row = dict.fromkeys(usage.COLUMNS)
        row.update(ts=ts, day=day.isoformat(), hour=hour, user_hash=user_picks[n], alarm=0)
        row.update(event="", latency_ms=round(rng.uniform(5, 60), 2), msg_key=f"b{n}")
        roll = rng.random()
        if roll < 0.02:
            row.update(msg_type="event", event="subscribe", outcome="greeting")
        elif roll < 0.025:
            row.update(msg_type="event", event="unsubscribe", outcome="event")
        elif roll < 0.075:
            topic = rng.choice(list(queries.CATEGORY_NAMES))
            row.update(msg_type="event", event="click", outcome="topic", category=topic)
        elif roll < 0.09:
            row.update(msg_type="image", outcome="media")
        elif roll < 0.12:
            row.update(msg_type="text", text="你好", outcome="menu")
        else:
            kind = "voice" if rng.random() < 0.1 else "text"
            roll = rng.random()
            if roll < 0.7:
                entry = rng.choices(entries, entry_weights)[0]
                alarm = entry["category"] == "fraud" and rng.random() < 0.15
                row.update(
                    msg_type=kind,
                    text="问题" + entry["id"],
                    outcome="answered",
                    entry_id=entry["id"],
                    category=entry["category"],
                    score=round(rng.uniform(0.35, 0.95), 4),
                    alarm=int(alarm),
                )
                if rng.random() < 0.04:
                    feedback.append(
                        (
                            ts,
                            row["day"],
                            row["user_hash"],
                            entry["id"],
                            int(rng.random() < 0.8),
                            row["text"],
                        )
                    )
            elif roll < 0.8:
                entry = rng.choice(fraud)
                row.update(
                    msg_type=kind,
                    text="选项问题",
                    outcome="choice",
                    category="fraud",
                    entry_id=entry["id"],
                )
            else:
                text = rng.choices(pool, pool_weights)[0]
                row.update(msg_type=kind, text=text, outcome="fallback", score=0.1)
        batch.append(row)
        if len(batch) == 50_000:
            _flush(db, batch, feedback, insert_feedback)
    _flush(db, batch, feedback, insert_feedback)
    return time.perf_counter() - started


def _flush(db, batch, feedback, insert_feedback):
    with db.conn:
        db.conn.executemany(usage._INSERT, batch)
        db.conn.executemany(insert_feedback, feedback)
    batch.clear()
    feedback.clear()


def timed(function, *args, repeat=3):
    """Best of `repeat` runs, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", help="write the log to this file and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or str(Path(tmp) / "bench.db")
        app = create_app(
            {
                "BOT_DATABASE": path,
                "INDEX_BACKGROUND": False,
                "SECRET_KEY": "bench-secret",
                "ALLOW_DEMO_SECRETS": True,
            }
        )
        services = app.extensions["silverhelper"]
        db = services.db()
        seconds = generate(db, args.rows, args.days, app.config["USER_HASH_KEY"])
        (count,) = db.execute("select count(*) from messages").fetchone()
        print(
            f"usage log: {count:,} messages over {args.days} days, written in {seconds:.1f} s"
            f" ({count / seconds:,.0f} rows/s, summaries kept by triggers)"
        )
        db.execute("analyze")
        month = queries.last_full_month()
        whole = (queries.today() - datetime.timedelta(days=args.days), queries.today())
        analyzer = services.analyzer
        steps = [
            ("overview", lambda a, b: queries.overview(db, a, b)),
            ("trend", lambda a, b: queries.trend(db, a, b)),
            ("hourly", lambda a, b: queries.hourly(db, a, b)),
            ("by_category", lambda a, b: queries.by_category(db, a, b)),
            ("top_entries", lambda a, b: queries.top_entries(db, a, b)),
            ("feedback_by_entry", lambda a, b: queries.feedback_by_entry(db, a, b)),
            ("unanswered (grouped)", lambda a, b: queries.unanswered(db, a, b, analyzer)),
            ("alarms", lambda a, b: queries.alarms(db, a, b)),
            ("all queries (build)", lambda a, b: queries.build(db, a, b, analyzer)),
        ]
        print(f"\n{'query':<24}{'last month':>12}{'whole range':>13}")
        for name, step in steps:
            a, _ = timed(step, *month)
            b, _ = timed(step, *whole)
            print(f"{name:<24}{a * 1000:>10.0f}ms{b * 1000:>11.0f}ms")

        auth.create_user(db, "bench", "viewer", PASSWORD, by="bench")
        db.conn.commit()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token})
        print(f"\n{'over HTTP (viewer)':<24}{'last month':>12}{'whole range':>13}")
        worst = 0.0
        for name, url in (
            ("report page", "/reports/"),
            ("workbook (.xlsx)", "/reports/report.xlsx"),
            ("one CSV", "/reports/entries.csv"),
        ):
            times = []
            for a, b in (month, whole):
                query = {"from": a.isoformat(), "to": b.isoformat()}
                t, response = timed(lambda q=query, u=url: client.get(u, query_string=q))
                assert response.status_code == 200, (url, response.status_code)
                times.append(t)
                if name == "report page":
                    worst = max(worst, t)
            print(f"{name:<24}{times[0] * 1000:>10.0f}ms{times[1] * 1000:>11.0f}ms")
        verdict = "within" if worst <= PAGE_BUDGET_SECONDS else "OVER"
        print(
            f"\nreport page: slowest {worst:.2f} s,"
            f" {verdict} the {PAGE_BUDGET_SECONDS:.0f} s budget"
        )
        db.conn.close()
    return 0 if worst <= PAGE_BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
