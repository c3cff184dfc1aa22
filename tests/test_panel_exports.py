"""Exports: the inbox's filtered list, a dashboard and duty records, to CSV and Excel, through
the panel's HTTP interface; the Excel file opens with openpyxl and holds the right rows, Chinese
headers and real date cells; street staff export only their streets."""

import csv
import io
from datetime import datetime
from urllib.parse import urlencode

from openpyxl import load_workbook
from sqlalchemy import select

from storage.models import StaffRole, Ticket
from tests.support.panel import browser, make_staff, make_ticket
from tests.support.reports import a_week_of_the_loop, deputy


async def download(client, path: str) -> bytes:
    response = await client.client.get(path)
    assert response.status == 200, path
    return await response.read()


TICKET_HEADERS = [
    "编号",
    "反映时间",
    "状态",
    "类别",
    "区域",
    "代表小组",
    "优先级",
    "答复期限",
    "超期起始时间",
    "首次响应时间",
    "答复时间",
    "办结时间",
    "满意度",
    "内容",
]


async def test_the_inbox_list_exports_to_excel_with_dates_as_dates(
    panel_app, panel_sessions, desk, clock
):
    numbers = await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    client = await browser(panel_app)
    await client.log_in("admin")
    inbox = await (await client.get("/inbox?q=和祥社区")).text()
    assert f"/export/tickets.xlsx?{urlencode({'q': '和祥社区'})}" in inbox
    response = await client.client.get("/export/tickets.xlsx?q=和祥社区")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await response.read()))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == TICKET_HEADERS
    assert [row[0] for row in rows[1:]] == [numbers["A"], numbers["B"]]  # oldest first
    first = sheet.cell(row=2, column=2)
    assert first.is_date and isinstance(first.value, datetime)
    assert first.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.cell(row=1, column=1).font.bold
    assert first.value == datetime(2026, 11, 23, 18, 30)  # 10:30 UTC, in Beijing time
    assert sheet.cell(row=2, column=11).is_date  # answered
    assert rows[1][2] == "已评价" and rows[1][12] == "满意" and rows[1][13] == "和祥社区路灯坏了"
    assert rows[2][12] is None  # B: not rated
    await client.close()


async def test_csv_exports_of_the_list_the_report_and_duty_records(
    panel_app, panel_sessions, desk, clock
):
    numbers = await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "li", StaffRole.STREET, ("jb-hd",))
    client = await browser(panel_app)
    await client.log_in("li")
    body = await download(client, "/export/tickets.csv")
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == TICKET_HEADERS
    assert sorted(row[0] for row in rows[1:]) == sorted([numbers["A"], numbers["B"], numbers["D"]])
    assert rows[1][1] == "2026-11-23 18:30"
    searched = await download(client, "/export/tickets.csv?q=垃圾清运")
    assert [row[0] for row in csv.reader(io.StringIO(searched.decode("utf-8-sig")))][1:] == [
        numbers["B"]
    ]

    report = (await download(client, "/export/report.csv")).decode("utf-8-sig")
    figures = {row[0]: row[1] for row in csv.reader(io.StringIO(report)) if len(row) == 2}
    assert figures["收到"] == "3" and figures["办结率"] == "66.7%"
    assert figures["答复用时中位数（小时）"] == "48.0"

    async with panel_sessions() as session:
        wang = await deputy(session, "d-wang-jianguo")
    records = (await download(client, "/export/duty-records.csv")).decode("utf-8-sig")
    by_name = {row[0]: row for row in csv.reader(io.StringIO(records))}
    assert by_name["王建国"][3:9] == ["1", "1", "100.0%", "3", "3", "4.0"]
    assert "赵刚" not in by_name  # 望仙街道's deputy: another street
    one = await download(client, f"/export/deputies/{wang.id}/record.xlsx")
    book = load_workbook(io.BytesIO(one))
    assert [sheet.title for sheet in book.worksheets] == ["履职档案", "接待活动"]
    visit = list(book.worksheets[1].iter_rows(values_only=True))
    assert visit[0] == ("时间", "代表联络站", "是否到站") and visit[1][2] == "是"
    assert isinstance(visit[1][0], datetime)
    await client.close()


async def test_street_staff_export_only_their_streets(panel_app, panel_sessions, desk, clock):
    await a_week_of_the_loop(panel_sessions, desk, clock)
    await make_staff(panel_sessions, clock, "wx", StaffRole.STREET, ("jb-wx",))
    client = await browser(panel_app)
    await client.log_in("wx")
    body = (await download(client, "/export/tickets.csv")).decode("utf-8-sig")
    async with panel_sessions() as session:
        texts = set(await session.scalars(select(Ticket.text)))
    exported = {row[13] for row in list(csv.reader(io.StringIO(body)))[1:]}
    assert exported == {"东门社区菜市场噪音扰民"} and len(texts) == 4
    async with panel_sessions() as session:
        wang = await deputy(session, "d-wang-jianguo")
    assert (await client.client.get(f"/export/deputies/{wang.id}/record.csv")).status == 404
    await client.close()


async def test_excel_keeps_a_residents_words_as_words_and_the_reports_figures_as_figures(
    panel_app, panel_sessions, desk, clock
):
    await a_week_of_the_loop(panel_sessions, desk, clock)
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", '=HYPERLINK("x") 路灯不亮')
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    client = await browser(panel_app)
    await client.log_in("admin")
    book = load_workbook(io.BytesIO(await download(client, "/export/tickets.xlsx")))
    row = next(r for r in book.worksheets[0].iter_rows() if r[0].value == number)
    assert row[13].value == '=HYPERLINK("x") 路灯不亮' and row[13].data_type == "s"  # no formula

    report = load_workbook(io.BytesIO(await download(client, "/export/report.xlsx")))
    assert report.worksheets[0].title == "主要指标"
    figures = {r[0].value: r[1] for r in report.worksheets[0].iter_rows(min_row=2)}
    assert figures["收到"].value == 5 and figures["收到"].data_type == "n"
    assert figures["办结率"].number_format == "0.0%"
    by_week = list(report.worksheets[1].iter_rows(min_row=2))
    assert by_week[0][0].is_date and by_week[0][0].number_format == "yyyy-mm-dd"
    await client.close()
