"""Usage reports: every figure on the page, in CSV and in the workbook, against a log
whose counts are known; date ranges, roles, the monthly summary and the charts."""

import csv
import datetime
import io
import re
from collections import Counter

import openpyxl
import pytest

from bot import auth
from bot.reports import queries
from tests.conftest import make_user
from tests.helpers import services_of
from tests.reportlog import (
    BEFORE,
    CATEGORY_OF,
    FIRST,
    LAST,
    LOG,
    SECOND,
    expected_overview,
    in_range,
    write_log,
)


@pytest.fixture
def viewer(app, logged_in_client):
    write_log(app)
    return logged_in_client("viewer")


def page_figures(html):
    return {
        key: int(value)
        for key, value in re.findall(r'data-key="(\w+)"><span class="value">(\d+)</span>', html)
    }


def read_csv(response):
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# -- the figures, three ways -----------------------------------------------------------


def test_page_defaults_to_last_month_and_shows_every_headline_figure(viewer):
    response = viewer.get("/reports/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'value="{FIRST.isoformat()}"' in html and f'value="{LAST.isoformat()}"' in html
    figures = page_figures(html)
    expected = expected_overview()
    assert figures == {k: v for k, v in expected.items() if k != "clicks"}
    assert figures["messages"] == 10 and figures["users"] == 5  # u1–u4 and u6's click
    # 3 in-scope questions not matched and 1 out-of-scope question declined
    assert figures["unanswered"] == 4


def test_overview_csv_and_workbook_agree_with_the_log(viewer):
    expected = expected_overview()
    labels = dict(queries.OVERVIEW_LABELS)
    rows = read_csv(viewer.get("/reports/overview.csv"))
    assert rows[0] == ["指标", "数值"]
    assert {name: int(n) for name, n in rows[1:]} == {labels[k]: v for k, v in expected.items()}

    response = viewer.get("/reports/report.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["总体情况"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values == {labels[k]: v for k, v in expected.items()}
    assert all(isinstance(v, int) for v in values.values())  # numbers, not text
    assert book.sheetnames[0] == "说明"
    assert {"每日趋势", "各类别", "回答最多的条目", "防诈骗警报"} <= set(book.sheetnames)


def test_daily_trend_and_hours_in_every_format(viewer):
    days = Counter(r[0].isoformat() for r in LOG if in_range(r[0]) and r[3] != "event")
    hours = Counter(r[1] for r in LOG if in_range(r[0]) and r[3] != "event")
    rows = read_csv(viewer.get("/reports/trend.csv"))
    assert rows[0][:2] == ["日期", "消息数"]
    assert len(rows) - 1 == (LAST - FIRST).days + 1  # every day, quiet ones too
    assert {r[0]: int(r[1]) for r in rows[1:] if int(r[1])} == dict(days)
    users_first_day = {r[2] for r in LOG if r[0] == FIRST and r[3] != "event"}
    assert int(rows[1][2]) == len(users_first_day)

    book = openpyxl.load_workbook(io.BytesIO(viewer.get("/reports/report.xlsx").data))
    sheet_hours = {
        int(label[:2]): n
        for label, n in book["一天中各时段的消息"].iter_rows(min_row=2, values_only=True)
    }
    assert sheet_hours == {h: hours.get(h, 0) for h in range(24)}
    html = viewer.get("/reports/").get_data(as_text=True)
    assert "23:00–23:59" in html


def test_categories_entries_feedback_and_alarms(viewer):
    answered = Counter(CATEGORY_OF[r[7]] for r in LOG if in_range(r[0]) and r[6] == "answered")
    rows = read_csv(viewer.get("/reports/categories.csv"))
    names = {name: int(n) for name, n, *_ in rows[1:]}
    assert names == {queries.CATEGORY_NAMES[c]: answered.get(c, 0) for c in queries.CATEGORY_NAMES}
    assert [r[0] for r in rows[1:]] == ["手机和微信", "防诈骗", "健康知识", "辟谣", "便民服务"]

    rows = read_csv(viewer.get("/reports/entries.csv"))
    assert rows[0] == ["条目", "类别", "回答次数", "有用", "没用", "编号"]
    top = rows[1]
    assert top[5] == "health/salt" and top[0] == "老年人一天吃多少盐合适？" and top[1] == "健康知识"
    assert top[2:5] == ["3", "2", "1"]  # 3 answers in range; 2 有用, 1 没用 in range

    rows = read_csv(viewer.get("/reports/feedback.csv"))
    by_id = {r[5]: r for r in rows[1:]}
    assert by_id["wechat/video-call"][2:5] == ["0", "1", "0.0%"]
    assert by_id["health/salt"][2:5] == ["2", "1", "66.7%"]

    rows = read_csv(viewer.get("/reports/alarms.csv"))
    assert rows[1:] == [
        ["有自称公安的人打电话说我涉案，让我转钱到安全账户怎么办？", "1", "fraud/fake-police"]
    ]


def test_unanswered_questions_are_grouped_and_counted(viewer):
    rows = read_csv(viewer.get("/reports/unanswered.csv"))
    assert rows[0] == ["问题", "次数", "不同问法", "其他问法举例"]
    groups = {r[0]: r for r in rows[1:]}
    weather = groups["明天天气怎么样"]  # and 明天天气怎么样呀, grouped with it
    assert weather[1:3] == ["2", "2"] and weather[3] == "明天天气怎么样呀"
    assert groups["医保卡丢了怎么补办"][1:3] == ["1", "1"]
    assert groups["这只股票明天涨不涨"][1:3] == ["1", "1"]  # declined counts too
    assert len(groups) == 3


def test_another_range_and_weekly_trend(app, logged_in_client):
    write_log(app)
    client = logged_in_client("editor")
    day = SECOND.isoformat()
    html = client.get("/reports/", query_string={"from": day, "to": day}).get_data(as_text=True)
    figures = page_figures(html)
    assert figures["messages"] == 2 and figures["follows"] == 1 and figures["alarms"] == 1
    start = (FIRST - datetime.timedelta(days=90)).isoformat()
    rows = read_csv(client.get("/reports/trend.csv", query_string={"from": start, "to": LAST}))
    assert rows[0][0] == "周（周一）"
    assert all(datetime.date.fromisoformat(r[0]).weekday() == 0 for r in rows[1:])
    in_log = sum(1 for r in LOG if r[3] != "event")  # the day before is in this range too
    assert sum(int(r[1]) for r in rows[1:]) == in_log


# -- date ranges and bad input ---------------------------------------------------------


@pytest.mark.parametrize(
    "query, words",
    [
        ({"from": "2025-13-01", "to": "2025-12-31"}, "开始日期“2025-13-01”看不懂"),
        ({"from": "2025-10-31", "to": "2025-10-01"}, "开始日期晚于结束日期"),
        ({"from": "2025-10-01", "to": ""}, "请填写结束日期"),
        ({"from": "2001-01-01", "to": "2025-10-01"}, "日期范围太长"),
        ({"from": "1900-01-01", "to": "2025-10-01"}, "2000 年到 2100 年之间"),
    ],
)
def test_bad_dates_get_a_clear_chinese_answer(viewer, query, words):
    response = viewer.get("/reports/", query_string=query)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    csv_response = viewer.get("/reports/overview.csv", query_string=query)
    assert csv_response.status_code == 400
    assert words in csv_response.get_data(as_text=True)


def test_unknown_table_is_not_found(viewer):
    assert viewer.get("/reports/nothing.csv").status_code == 404


# -- roles -----------------------------------------------------------------------------

REPORT_URLS = ["/reports/", "/reports/overview.csv", "/reports/report.xlsx", "/reports/monthly"]


@pytest.mark.parametrize("url", REPORT_URLS)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/reports/")


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_every_staff_role_may_read_reports(app, logged_in_client, role):
    client = logged_in_client(role)
    for url in REPORT_URLS:
        assert client.get(url).status_code == 200, url


def test_a_disabled_account_is_refused(app, logged_in_client):
    client = logged_in_client("viewer", name="leaver")
    db = services_of(app).db()
    auth.set_active(db, "leaver", False)
    db.conn.commit()
    assert client.get("/reports/").status_code == 302


def test_a_role_below_viewer_is_refused(app, client):
    """An account whose role is not a known one (say, from an old version) ranks lowest."""
    from tests.conftest import login

    make_user(app, "oldrole", "viewer")
    db = services_of(app).db()
    db["users"].update("oldrole", {"role": "guest"})
    db.conn.commit()
    login(client, "oldrole")
    response = client.get("/reports/")
    assert response.status_code == 403
    assert client.get("/reports/report.xlsx").status_code == 403


# -- the monthly summary and the charts ------------------------------------------------


def test_monthly_summary_is_printable_and_compares_with_the_month_before(viewer):
    month = FIRST.strftime("%Y-%m")
    html = viewer.get("/reports/monthly", query_string={"month": month}).get_data(as_text=True)
    assert f"{FIRST.year} 年 {FIRST.month} 月" in html
    figures = page_figures(html)
    assert figures == expected_overview()
    before = [r for r in LOG if r[0] == BEFORE and r[3] != "event"]
    shown = re.search(r'data-key="messages">.*?（上月 (\d+)）', html, re.S).group(1)
    assert int(shown) == len(before)
    assert "@media print" in html and "Ctrl+P" in html
    bad = viewer.get("/reports/monthly", query_string={"month": "十月"})
    assert bad.status_code == 400 and "看不懂" in bad.get_data(as_text=True)


def test_charts_are_inline_svg_with_chinese_labels_and_nothing_external(viewer):
    html = viewer.get("/reports/").get_data(as_text=True)
    assert html.count("<svg") == 4
    for title in ("每日消息和使用人数", "一天中各时段的消息", "各类别回答次数", "消息的结果"):
        assert title in html
    assert "<script" not in html
    # No file, script or font from anywhere else: only the site's own stylesheet.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "@import" not in html and "url(http" not in html


def test_a_question_that_looks_like_a_formula_stays_text(app, logged_in_client):
    write_log(app, log=[(FIRST, 9, "u9", "text", "", '=HYPERLINK("x")', "fallback", None, 0)])
    client = logged_in_client("viewer")
    rows = read_csv(client.get("/reports/unanswered.csv"))
    assert rows[1][0] == '\'=HYPERLINK("x")'
    book = openpyxl.load_workbook(io.BytesIO(client.get("/reports/report.xlsx").data))
    cell = book["问得最多的未回答问题"]["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")'
