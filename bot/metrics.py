"""The operator's metrics (Prometheus, `prometheus-client`), one registry per process, shown
at /metrics by every process that has an HTTP server. Counters count what this process did;
the gauges of the database (tickets by state, overdue tickets, the outbox) are read afresh
at each scrape, so any one process's /metrics tells them for the whole deployment."""

from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import TicketStatus
from storage.queries.status import outbox_backlog, overdue_tickets, tickets_by_status

UPDATES_RECEIVED = Counter(
    "liaison_updates_received", "Updates from Telegram recorded for the first time"
)
UPDATES_HANDLED = Counter("liaison_updates_handled", "Updates processed to the end")
UPDATES_FAILED = Counter("liaison_updates_failed", "Updates kept as failed after their attempts")
SENDS = Counter(
    "liaison_sends", "Outbox messages handed to Telegram, by result", ["result"]
)  # ok, 429 (flood control), 403 (blocked, gone), error (anything else)
DEADLINE_WARNINGS = Counter(
    "liaison_deadline_warnings", "Deadline warnings and overdue notices queued", ["kind"]
)
REQUEST_SECONDS = Histogram(
    "liaison_http_request_seconds", "Time to answer an HTTP request", ["app"]
)  # app: webhook, panel
SUPERVISOR_ACTIVE = Gauge(
    "liaison_supervisor_active", "1 in the one process that runs the supervision sweeps"
)
TICKETS = Gauge("liaison_tickets", "Tickets by state", ["state"])
OVERDUE = Gauge("liaison_tickets_overdue", "Tickets a deputy group holds past a deadline")
OUTBOX_PENDING = Gauge("liaison_outbox_pending", "Outbox messages not yet sent nor failed")
OUTBOX_OLDEST_DUE = Gauge(
    "liaison_outbox_oldest_due_seconds", "How long the oldest outbox message due has waited"
)


def count_send(result: str) -> None:
    SENDS.labels(result).inc()


async def read_database_gauges(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    held_by_groups: frozenset[TicketStatus],
) -> None:
    async with sessionmaker() as session:
        by_status = await tickets_by_status(session)
        overdue = await overdue_tickets(session, held_by_groups)
        depth, oldest = await outbox_backlog(session, now)
    for status in TicketStatus:
        TICKETS.labels(status.value).set(by_status.get(status, 0))
    OVERDUE.set(overdue)
    OUTBOX_PENDING.set(depth)
    OUTBOX_OLDEST_DUE.set(oldest)
