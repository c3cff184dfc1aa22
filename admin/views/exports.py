"""Exports to CSV and Excel (XLSX), streamed: CSV row by row as the database hands them over;
Excel through XlsxWriter in constant-memory mode, whose rows go to a temporary file as they
come (written in a worker thread, a batch at a time, so the panel keeps answering), then sent
in chunks. Either way memory holds a batch, not the export, and the response begins (its
headers go out) before the first row is read, so a proxy sees an answer at once. Headers are in
the staff member's language (Chinese first); moments are local times, and real dates and times
in Excel."""

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from xlsxwriter import Workbook

from admin import i18n
from admin.keys import CLOCK, SESSIONS, TIMEZONE
from admin.labels import label
from admin.security import HEADERS, SCOPE
from admin.views.reports import dashboard_of, duty_record_of, period_of, report_scope
from bot.core import exports
from bot.core.exports import Table
from bot.core.inbox import InboxFilter
from bot.text.catalogs import N_

BATCH = exports.BATCH
CHUNK = 64 * 1024
RATINGS = {
    "satisfied": N_("Satisfied"),
    "fairly_satisfied": N_("Fairly satisfied"),
    "unsatisfied": N_("Unsatisfied"),
}
FORMATS = {"moment": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd", "rate": "0.0%", "hours": "0.0"}
# Kinds whose cells are words from the catalogs: the same few values all along an export.
LABELLED = frozenset({"status", "priority", "rating", "attended", "message"})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def value_of(kind: str, value: Any, zone: ZoneInfo) -> tuple[Any, str]:
    """A cell's value for a writer, and the kind it ended up as."""
    if kind == "figure":
        value, kind = value
    if value is None:
        return "", "text"
    if kind == "moment":
        return value.astimezone(zone).replace(tzinfo=None, microsecond=0), kind
    if kind == "status":
        return i18n.status_label(value), "text"
    if kind == "priority":
        return label("priority", value), "text"
    if kind == "rating":
        return i18n.gettext(RATINGS[str(value)]), "text"
    if kind == "attended":
        return (i18n.gettext("Yes") if value else i18n.gettext("No")), "text"
    if kind == "message":
        return i18n.gettext(value), "text"
    return value, kind


def as_text(value: Any, kind: str) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return str(value)


async def _rows(table: Table) -> AsyncIterator[tuple[Any, ...]]:
    if isinstance(table.rows, AsyncIterator):
        async for row in table.rows:
            yield row
    else:
        for row in table.rows:
            yield row


async def _batches(table: Table, zone: ZoneInfo) -> AsyncIterator[list[list[tuple[Any, str]]]]:
    kinds = [column.kind for column in table.columns]
    labels: dict[tuple[str, Any], tuple[Any, str]] = {}  # each word looked up once an export

    def cell(kind: str, value: Any) -> tuple[Any, str]:
        if kind not in LABELLED:
            return value_of(kind, value, zone)
        key = (kind, value)
        if key not in labels:
            labels[key] = value_of(kind, value, zone)
        return labels[key]

    batch: list[list[tuple[Any, str]]] = []
    async for row in _rows(table):
        batch.append([cell(kind, value) for kind, value in zip(kinds, row, strict=True)])
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _start(request: web.Request, name: str, content_type: str) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            **HEADERS,
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        }
    )
    await response.prepare(request)
    return response


async def stream_csv(request: web.Request, name: str, tables: list[Table]) -> web.StreamResponse:
    """UTF-8 with a byte-order mark, so Excel reads the Chinese right; several tables one
    after another, each under its title."""
    zone = ZoneInfo(request.app[TIMEZONE])
    response = await _start(request, f"{name}.csv", "text/csv; charset=utf-8")
    await response.write("\ufeff".encode())
    for index, table in enumerate(tables):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if len(tables) > 1:
            writer.writerow([] if index == 0 else [""])
            writer.writerow([i18n.gettext(table.title)])
        writer.writerow([i18n.gettext(column.header) for column in table.columns])
        async for batch in _batches(table, zone):
            writer.writerows([as_text(value, kind) for value, kind in row] for row in batch)
            await response.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
        await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response


def _append(sheet: Any, first: int, batch: list[list[tuple[Any, str]]], formats: dict) -> None:
    """Rows from row `first` on: dates and numbers as such, in their column's format (one
    format object a kind, not a style a cell); text as text (never a formula)."""
    for number, row in enumerate(batch, first):
        for column, (value, kind) in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(number, column, value)
            elif isinstance(value, date):  # a datetime too
                sheet.write_datetime(number, column, value, formats.get(kind, formats["date"]))
            else:
                sheet.write_number(number, column, value, formats.get(kind))


async def stream_xlsx(request: web.Request, name: str, tables: list[Table]) -> web.StreamResponse:
    zone = ZoneInfo(request.app[TIMEZONE])
    response = await _start(request, f"{name}.xlsx", XLSX)
    with tempfile.TemporaryFile() as file:
        # constant_memory: each row goes to the sheet's temporary file once the next begins.
        book = Workbook(file, {"constant_memory": True})
        formats = {kind: book.add_format({"num_format": shape}) for kind, shape in FORMATS.items()}
        bold = book.add_format({"bold": True})
        for table in tables:
            sheet = book.add_worksheet(i18n.gettext(table.title)[:31])
            for column, header in enumerate(table.columns):
                sheet.write_string(0, column, i18n.gettext(header.header), bold)
            rows = 1
            async for batch in _batches(table, zone):
                await asyncio.to_thread(_append, sheet, rows, batch, formats)
                rows += len(batch)
        await asyncio.to_thread(book.close)
        file.seek(0)
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response


WRITERS = {"csv": stream_csv, "xlsx": stream_xlsx}


def _stamp(request: web.Request) -> str:
    return request.app[CLOCK].now().astimezone(ZoneInfo(request.app[TIMEZONE])).strftime("%Y%m%d")


async def export_tickets(request: web.Request, writer) -> web.StreamResponse:
    wanted = InboxFilter.from_params(request.query)
    async with request.app[SESSIONS]() as db:
        tables = exports.tickets_export(db, request[SCOPE], wanted, request.app[CLOCK].now())
        return await writer(request, f"tickets-{_stamp(request)}", tables)


async def export_report(request: web.Request, writer) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        report = await dashboard_of(request, db)
    return await writer(request, f"report-{_stamp(request)}", exports.dashboard_export(report))


async def export_duty_records(request: web.Request, writer) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        tables = await exports.duty_records_export(
            db,
            report_scope(request),
            period_of(request),
            request.app[CLOCK].now(),
            request.app[TIMEZONE],
        )
        return await writer(request, f"duty-records-{_stamp(request)}", tables)


async def export_duty_record(request: web.Request, writer) -> web.StreamResponse:
    record = await duty_record_of(request)
    name = f"duty-record-{record.deputy.id}-{_stamp(request)}"
    return await writer(request, name, exports.duty_record_export(record))


def handler(export, kind: str):
    """The route's handler: `export` written as `kind` (csv or xlsx)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await export(request, WRITERS[kind])

    handle.__name__ = f"{export.__name__}_{kind}"
    return handle
