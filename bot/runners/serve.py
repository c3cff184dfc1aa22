"""One long-running process in a role: `all` (python -m bot run), `webhook`, `sender` or
`supervisor`. Each waits for the Bot API, serves /healthz, /readyz and /metrics (the webhook
on its own port; the others on STATUS_PORT when it is set), and stops on SIGTERM within a
bounded time."""

import asyncio
import logging
from contextlib import AsyncExitStack

from bot.app import build_application
from bot.runners.long_lived import freeze_the_long_lived
from bot.runners.polling import run_polling
from bot.runners.services import run_services, stopped_by_signals
from bot.runners.startup import TokenRefused, wait_for_bot_api
from bot.runners.status import serve_status
from bot.runners.webhook import WebhookNotConfigured, check_webhook_settings, run_webhook
from bot.settings import Settings
from storage.schema import status_apart

log = logging.getLogger(__name__)


class NotStartable(Exception):
    """The process cannot start as configured; the message says what to change."""


async def serve(settings: Settings, role: str) -> int:
    webhook = role == "webhook" or (role == "all" and settings.webhook.url is not None)
    if webhook:
        try:
            check_webhook_settings(settings.webhook)
        except WebhookNotConfigured as missing:
            raise NotStartable(str(missing)) from None
    if role != "all":  # only `run` migrates; several processes must not race to migrate
        state = await asyncio.to_thread(status_apart, settings.storage.database_url)
        if not state.up_to_date:
            raise NotStartable(
                f"The database schema is at {state.current}, not at {', '.join(state.heads)}: "
                "run `python -m bot migrate` first."
            )
    app = build_application(settings)
    async with AsyncExitStack() as cleanup:
        cleanup.push_async_callback(app.close)
        try:
            await wait_for_bot_api(app.bot, settings.telegram.api_base)
        except TokenRefused as refused:
            raise NotStartable(str(refused)) from None
        port = settings.status.status_port
        if port is not None and not webhook:
            runner = await serve_status(app, settings.status.status_host, port)
            cleanup.push_async_callback(runner.cleanup)
        services = app.role_services(role)
        log.info(
            "%d objects made at start-up frozen out of the collector's way", freeze_the_long_lived()
        )
        if webhook:
            await run_webhook(app, settings.webhook, services)
        elif role == "all":
            await run_polling(app)
        else:
            with stopped_by_signals(app.inbound.stopping):
                await run_services(services, app.inbound.stopping)
    return 0
