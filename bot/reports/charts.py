"""The report's charts as inline SVG, drawn on the server with pygal.

pygal writes text as SVG text, so the reader's own browser draws the Chinese labels
and the server needs no CJK font. Its default config fetches a tooltip script from the
internet: `js=[]` turns that off, and the small inline config script it still writes is
removed, so a page carries no script at all.
"""

import re

import pygal
from markupsafe import Markup
from pygal.style import Style

from bot.outcomes import NAMES, Outcome

FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
STYLE = Style(
    font_family=FONTS,
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#ccc",
    colors=("#1f6fb2", "#e07b00", "#2e8b57", "#c0392b"),
    title_font_size=22,
    label_font_size=16,
    major_label_font_size=16,
    legend_font_size=18,
    value_font_size=14,
    tooltip_font_size=14,
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMON = {
    "js": [],
    "style": STYLE,
    "disable_xml_declaration": True,
    "width": 720,
    "height": 400,
    "legend_at_bottom": True,
    "truncate_label": -1,
    "truncate_legend": -1,
}


def _svg(chart):
    return Markup(_SCRIPT.sub("", chart.render(is_unicode=True)))


def _sparse_labels(labels, most=16):
    """Every label when few, otherwise about `most` of them, so they stay legible."""
    step = max(1, -(-len(labels) // most))
    return [label if i % step == 0 else "" for i, label in enumerate(labels)]


def trend_chart(report):
    chart = pygal.Line(
        title="每周消息和使用人数" if report.weekly else "每日消息和使用人数",
        x_label_rotation=30,
        show_minor_x_labels=False,
        dots_size=3,
        **_COMMON,
    )
    labels = [p["period"][5:] for p in report.trend]
    chart.x_labels = labels
    chart.x_labels_major = [x for x in _sparse_labels(labels) if x]
    chart.add("消息数", [p["messages"] for p in report.trend])
    chart.add("使用人数", [p["users"] for p in report.trend])
    chart.add("未能回答", [p["unanswered"] for p in report.trend])
    return _svg(chart)


def hourly_chart(report):
    chart = pygal.Bar(title="一天中各时段的消息", show_legend=False, **_COMMON)
    chart.x_labels = [str(h["hour"]) for h in report.hourly]
    chart.x_title = "时（0–23 点）"
    chart.add("消息数", [h["messages"] for h in report.hourly])
    return _svg(chart)


def category_chart(report):
    chart = pygal.HorizontalBar(
        title="各类别回答次数", print_values=True, show_legend=False, **_COMMON
    )
    rows = list(reversed(report.categories))
    chart.x_labels = [c["name"] for c in rows]
    chart.add(NAMES[Outcome.ANSWERED], [c["answered"] for c in rows])
    return _svg(chart)


def outcome_chart(report):
    o = report.overview
    chart = pygal.Pie(title="消息的结果", inner_radius=0.45, **_COMMON)
    others = max(0, o["messages"] - o["answered"] - o["choice"] - o["unanswered"])
    for label, value in (
        (NAMES[Outcome.ANSWERED], o["answered"]),
        (NAMES[Outcome.CHOICE], o["choice"]),
        ("未能回答", o["unanswered"]),
        ("菜单、问候等", others),
    ):
        chart.add(f"{label} {value}", value)
    return _svg(chart)


def all_charts(report):
    return {
        "trend": trend_chart(report),
        "hours": hourly_chart(report),
        "categories": category_chart(report),
        "outcomes": outcome_chart(report),
    }
