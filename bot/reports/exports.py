"""The report's tables as CSV files and as one Excel workbook.

CSV starts with a UTF-8 byte-order mark: without it Excel reads Chinese as gibberish.
The workbook (openpyxl) has one sheet per table, figures as numbers rather than text,
and Excel's own charts for the trend and the hours, so coordinators can keep working
on it in Excel.
"""

import csv
import io

BOM = "\ufeff"
# Excel refuses sheet names longer than 31 characters or with any of these.
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def csv_bytes(table):
    """One table as UTF-8 CSV with a byte-order mark; shares as percentages."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(_csv_value(table, i, v) for i, v in enumerate(row))
    return out.getvalue().encode("utf-8")


def _csv_value(table, column, value):
    if value is None:
        return ""
    if column in table.percent_columns:
        return f"{value * 100:.1f}%"
    return _defuse(value)


def _defuse(value):
    """A text cell starting with = + - @ would run as a formula in Excel: quote it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def file_stem(report):
    return f"银龄助手报表_{report.start.isoformat()}_{report.end.isoformat()}"


def workbook_bytes(report):
    # openpyxl is imported only when a workbook is asked for: serving never needs it.
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart
    from openpyxl.styles import Font

    """Every table of the report in one .xlsx workbook."""
    book = Workbook()
    about = book.active
    about.title = "说明"
    about.append(["银龄助手使用报表"])
    about.append(["日期范围", f"{report.start.isoformat()} 至 {report.end.isoformat()}"])
    about.append(["说明", "日期按北京时间；用户只以加密编号统计，不含任何个人信息。"])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 60
    for table in report.tables:
        sheet = book.create_sheet(table.title.translate(_SHEET_FORBIDDEN)[:31])
        _fill(sheet, table)
    _chart(book, report, "trend", LineChart(), "消息数")
    _chart(book, report, "hours", BarChart(), "消息数")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet, table):
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # a question typed as "=..." stays text
                cell.data_type = "s"
    for column in table.percent_columns:
        letter = get_column_letter(column + 1)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cell.number_format = "0.0%"
        sheet.column_dimensions[letter].width = 12
    for i, header in enumerate(table.headers):
        longest = max([_width(header)] + [_width(row[i]) for row in table.rows[:200]], default=8)
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(60, max(8, longest + 2))
    sheet.freeze_panes = "A2"


def _width(value):
    """Display width: a Chinese character takes two columns."""
    text = "" if value is None else str(value)
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _chart(book, report, key, chart, y_title):
    from openpyxl.chart import Reference
    from openpyxl.utils import get_column_letter

    table = report.table(key)
    if table is None or not table.rows:
        return
    sheet = book[table.title.translate(_SHEET_FORBIDDEN)[:31]]
    rows = len(table.rows) + 1
    columns = 2 if key == "hours" else 3
    data = Reference(sheet, min_col=2, max_col=columns, min_row=1, max_row=rows)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows))
    chart.title = table.title
    chart.y_axis.title = y_title
    chart.width, chart.height = 24, 10
    sheet.add_chart(chart, f"{get_column_letter(len(table.headers) + 2)}2")
