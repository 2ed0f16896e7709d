"""The coordinators' pages: the report for a date range, its downloads, and the
printable monthly summary. Viewer role and above."""

import datetime
import io

from flask import abort, render_template, request, send_file

from bot import services as services_module
from bot.auth import role_required
from bot.reports import bp, exports, queries


def _charts():
    """pygal, imported when a report page is first drawn: serving never needs it."""
    from bot.reports import charts

    return charts


def _services():
    return services_module.current()


def _build(start, end):
    services = _services()
    return queries.build(services.db(), start, end, services.analyzer)


def _range_or_error():
    """(start, end, None) from the query string, or (None, None, message)."""
    try:
        start, end = queries.parse_range(request.args.get("from"), request.args.get("to"))
    except queries.RangeError as error:
        return None, None, str(error)
    return start, end, None


def _shortcuts():
    today = queries.today()
    last_first, last_last = queries.last_full_month(today)
    return [
        ("上个月", last_first, last_last),
        ("本月", today.replace(day=1), today),
        ("最近 7 天", today - datetime.timedelta(days=6), today),
        ("最近 30 天", today - datetime.timedelta(days=29), today),
        ("今年", today.replace(month=1, day=1), today),
    ]


@bp.get("/")
@role_required("viewer")
def index():
    start, end, error = _range_or_error()
    if error:
        return (
            render_template(
                "reports/index.html",
                error=error,
                report=None,
                start=request.args.get("from", ""),
                end=request.args.get("to", ""),
                shortcuts=_shortcuts(),
            ),
            400,
        )
    report = _build(start, end)
    return render_template(
        "reports/index.html",
        error=None,
        report=report,
        charts=_charts().all_charts(report),
        start=start.isoformat(),
        end=end.isoformat(),
        shortcuts=_shortcuts(),
        month=start.strftime("%Y-%m"),
        # every headline figure but menu clicks, named once in queries.OVERVIEW_LABELS
        labels=[(k, v) for k, v in queries.OVERVIEW_LABELS if k != "clicks"],
    )


def _download(body, filename, mimetype):
    """An attachment whose Chinese name survives real servers: send_file writes
    Content-Disposition per RFC 6266/5987 (an ASCII fallback and filename*=UTF-8''…);
    a raw non-Latin-1 header makes gunicorn answer 500 and werkzeug hang."""
    return send_file(
        io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=filename
    )


@bp.get("/<key>.csv")
@role_required("viewer")
def table_csv(key):
    start, end, error = _range_or_error()
    if error:
        return error, 400, {"Content-Type": "text/plain; charset=utf-8"}
    report = _build(start, end)
    table = report.table(key)
    if table is None:
        abort(404)
    return _download(
        exports.csv_bytes(table),
        f"{exports.file_stem(report)}_{table.title}.csv".replace(" / ", "_"),
        "text/csv",
    )


@bp.get("/report.xlsx")
@role_required("viewer")
def workbook():
    start, end, error = _range_or_error()
    if error:
        return error, 400, {"Content-Type": "text/plain; charset=utf-8"}
    report = _build(start, end)
    return _download(
        exports.workbook_bytes(report),
        exports.file_stem(report) + ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.get("/monthly")
@role_required("viewer")
def monthly():
    """One month on a printable page, beside the month before, for progress reports."""
    month = request.args.get("month", "").strip()
    try:
        start, end = queries.month_range(month) if month else queries.last_full_month()
    except queries.RangeError as error:
        return render_template("reports/monthly.html", error=str(error), report=None), 400
    report = _build(start, end)
    before_start, before_end = queries.month_range(
        (start - datetime.timedelta(days=1)).strftime("%Y-%m")
    )
    before = queries.overview(_services().db(), before_start, before_end)
    return render_template(
        "reports/monthly.html",
        error=None,
        report=report,
        before=before,
        month=start.strftime("%Y-%m"),
        month_title=f"{start.year} 年 {start.month} 月",
        labels=queries.OVERVIEW_LABELS,
        charts={
            "trend": _charts().trend_chart(report),
            "categories": _charts().category_chart(report),
        },
    )
