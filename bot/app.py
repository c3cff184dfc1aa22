"""The composition root: builds every part from settings and hands them to each other. It is
the one module that knows the core, the delivery, the Telegram channel and the handlers."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.core.delivery_failures import DeliveryFailures
from bot.core.drafts import DraftBook
from bot.core.group_work import GroupWork
from bot.core.receptions import ReceptionDesk
from bot.core.supervision import Supervisor
from bot.core.tickets import TicketDesk
from bot.counters import limits_storage
from bot.delivery.sender import Sender
from bot.delivery.wakeup import OutboxWakeup
from bot.settings import Settings
from bot.telegram.channel import TelegramChannel
from bot.telegram.dispatcher import build_bot, build_dispatcher, filters_on_the_loop
from bot.telegram.flood import ResidentFlood
from bot.telegram.inbound import Inbound
from bot.telegram.limits import Limits, TelegramLimits, send_slots
from bot.telegram.paced import PacedAnswers
from bot.text.catalogs import Catalogs
from handlers import build_router
from handlers.middlewares import install_middlewares
from storage.db import create_engine, create_sessionmaker

if TYPE_CHECKING:
    from aiohttp import web

RESERVED_CONNECTIONS = 4


class BackgroundService(Protocol):
    """Work that runs beside the front doors until stopped (the sender, the supervisor)."""

    async def run(self) -> None: ...

    def stop(self) -> None:
        """Finish the work in hand, then return from run()."""
        ...


@dataclass
class Application:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    desk: TicketDesk
    bot: Bot
    dispatcher: Dispatcher
    sender: Sender
    inbound: Inbound
    services: list[BackgroundService] = field(default_factory=list)
    wakeup: OutboxWakeup | None = None
    supervisor: Supervisor | None = None
    limits: TelegramLimits | None = None

    def role_services(self, role: str) -> list[BackgroundService]:
        """The background services of a process in `role`: `all` (run), `sender` (with the
        wake-up it listens to), `supervisor`, or none (`webhook`: it receives and handles
        updates, and wakes the senders through PostgreSQL)."""
        roles: dict[str, list[BackgroundService | None]] = {
            "all": list(self.services),
            "sender": [self.sender, self.wakeup],
            "supervisor": [self.supervisor],
            "webhook": [],
        }
        return [service for service in roles[role] if service is not None]

    async def close(self) -> None:
        await self.dispatcher.fsm.close()
        await self.bot.session.close()
        if self.limits is not None:
            await self.limits.close()
        await self.engine.dispose()


def build_desk(settings: Settings, clock: Clock | None = None) -> TicketDesk:
    """The core's ticket desk, as every front door (the bot, the command line) uses it."""
    catalogs = Catalogs(settings.text.locales_dir, settings.text.default_locale)
    return TicketDesk(clock or SystemClock(), catalogs, settings.text.timezone)


def build_application(
    settings: Settings, clock: Clock | None = None, redis_prefix: str = "fsm"
) -> Application:
    clock = clock or SystemClock()
    engine = create_engine(
        settings.storage.database_url,
        settings.storage.database_pool_size,
        settings.storage.database_pool_timeout,
    )
    sessionmaker = create_sessionmaker(engine)
    desk = build_desk(settings, clock)
    catalogs = desk.catalogs
    bot = build_bot(settings.telegram)
    limits = TelegramLimits(
        Limits(
            settings.telegram.telegram_limit_overall,
            settings.telegram.telegram_limit_private_chat,
            settings.telegram.telegram_limit_group,
            settings.telegram.telegram_limit_private_burst,
        ),
        send_slots(settings.storage.redis_url, key_prefix=f"{redis_prefix}:limits"),
    )
    bot.session.middleware(PacedAnswers(limits))
    channel = TelegramChannel(bot, limits, settings.telegram.telegram_send_timeout)
    sender = Sender(
        sessionmaker,
        channel,
        clock,
        settings.delivery.outbox_poll_seconds,
        concurrency=settings.delivery.outbox_concurrency,
        lease=timedelta(seconds=settings.delivery.outbox_lease_seconds),
        on_failed=DeliveryFailures(clock, catalogs),
    )
    wakeup = OutboxWakeup(engine, sender.wake)
    dispatcher = build_dispatcher(
        settings.storage,
        redis_prefix,
        catalogs=catalogs,
        desk=desk,
        work=GroupWork(desk),
        receptions=ReceptionDesk(clock, catalogs, settings.text.timezone),
        clock=clock,
        internal_prefix=settings.text.group_internal_prefix,
        drafts=DraftBook(sessionmaker, clock),
        inbound_settings=settings.inbound,
        flood=ResidentFlood(
            settings.inbound.resident_message_limit,
            limits_storage(settings.storage.redis_url, key_prefix=f"{redis_prefix}:flood"),
        ),
    )
    install_middlewares(
        dispatcher,
        sessionmaker,
        clock,
        catalogs,
        wakeup.publish,
        settings.inbound,
        # The rest of the pool: recording a batch, the sender, the supervisor, a NOTIFY.
        at_once=max(1, settings.storage.database_pool_size - RESERVED_CONNECTIONS),
    )
    inbound = Inbound(sessionmaker, dispatcher, bot, clock, settings.inbound)
    supervisor = Supervisor(
        sessionmaker,
        clock,
        catalogs,
        settings.text.timezone,
        digest_at=settings.supervision.digest_time,
        interval_seconds=settings.supervision.supervision_sweep_seconds,
        wake_sender=wakeup.publish,
    )
    dispatcher.include_router(build_router())
    filters_on_the_loop(dispatcher)
    application = Application(
        settings,
        clock,
        engine,
        sessionmaker,
        catalogs,
        desk,
        bot,
        dispatcher,
        sender,
        inbound,
        services=[sender, wakeup, supervisor],
        wakeup=wakeup,
        supervisor=supervisor,
        limits=limits,
    )
    if settings.admin.admin_bind:
        from admin.app import PanelService

        panel = build_panel(application, f"{redis_prefix}:panel")
        application.services.append(PanelService(panel, settings.admin))
    return application


def build_panel(app: Application, redis_prefix: str) -> "web.Application":
    """The staff panel over the application's database and core; a staff member's commit
    wakes the senders as a handler's does. Imported only where a panel is served: its
    charts, exports and maps weigh on every process (about 20 MB)."""
    from admin.app import create_app

    assert app.wakeup is not None
    return create_app(
        app.settings.admin,
        app.sessionmaker,
        app.desk,
        app.settings.storage.redis_url,
        redis_prefix,
        wake_sender=app.wakeup.publish,
    )
