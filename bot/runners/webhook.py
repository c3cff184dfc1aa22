"""Webhook mode: Telegram posts each update to an aiohttp server; any number of these
processes may run behind a load balancer, all on one PostgreSQL and one Redis.

- A request without the right secret (X-Telegram-Bot-Api-Secret-Token, compared in constant
  time) gets 401 and leaves no trace.
- An update is answered 200 only once it is recorded in the database (and its person's turn
  is taken, see `Inbound.receive`); a database that cannot record it gets a 503, so Telegram
  sends it again later. A redelivered update finds its record and is answered 200 at once.
- At start the webhook is registered (setWebhook with the public URL, the secret,
  max_connections and the update types the handlers use), never dropping pending updates.
- On SIGTERM the server stops taking requests (those in flight get STOP_SECONDS), the updates
  in hand finish or stay pending for the next start, and the process exits.
"""

import hmac
import logging
from contextlib import nullcontext

from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.app import Application, BackgroundService
from bot.runners import services as background
from bot.runners.status import APPLICATION, add_status_routes, timed
from bot.settings import WebhookSettings
from bot.telegram.commands import publish_command_menus

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET = web.AppKey("secret", bytes)
# How long an answer to Telegram may wait for the person's earlier update to let go of them.
TURN_WAIT_SECONDS = 10.0


class WebhookNotConfigured(Exception):
    """A setting the webhook cannot start without is missing."""


async def receive_update(request: web.Request) -> web.Response:
    app = request.app[APPLICATION]
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not hmac.compare_digest(given, request.app[SECRET]):
        log.warning("webhook request without the right secret from %s", request.remote)
        return web.Response(status=401)
    if app.inbound.stopping.is_set():
        return web.Response(status=503)  # stopping: Telegram sends it again, elsewhere
    try:
        update = Update.model_validate(await request.json(), context={"bot": app.bot})
    except (ValueError, ValidationError):
        return web.Response(status=400, text="not an update")
    try:
        await app.inbound.receive([update], wait_for_turn=TURN_WAIT_SECONDS)
    except Exception as error:
        log.warning("update %s not recorded (%r); answered 503", update.update_id, error)
        return web.Response(status=503)
    try:
        await app.inbound.prune()  # processed updates past INBOUND_KEEP_DAYS, at most hourly
    except Exception as error:  # the update is recorded: it is still answered 200
        log.warning("processed updates not pruned (%r); trying again later", error)
    return web.Response()


def check_webhook_settings(settings: WebhookSettings) -> None:
    """Raises WebhookNotConfigured unless the public URL and the secret are set."""
    if settings.webhook_secret is None:
        raise WebhookNotConfigured(
            "WEBHOOK_SECRET is not set: the webhook refuses to start without the secret "
            "Telegram sends with every update (1-256 characters A-Z, a-z, 0-9, _ and -)."
        )
    if settings.url is None:
        raise WebhookNotConfigured(
            "WEBHOOK_BASE_URL is not set: the public https:// address Telegram posts to."
        )


def webhook_app(app: Application, settings: WebhookSettings) -> web.Application:
    check_webhook_settings(settings)
    assert settings.webhook_secret is not None
    web_app = web.Application(middlewares=[timed("webhook")])
    web_app[SECRET] = settings.webhook_secret.get_secret_value().encode()
    add_status_routes(web_app, app)
    web_app.router.add_post(settings.webhook_path, receive_update)
    return web_app


async def run_webhook(
    app: Application,
    settings: WebhookSettings,
    services: list[BackgroundService],
    handle_signals: bool = True,
) -> None:
    """Serves the webhook (and the services given) until SIGTERM/SIGINT or
    `app.inbound.stop()`."""
    web_app = webhook_app(app, settings)
    assert settings.url is not None
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=background.STOP_SECONDS)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    log.info(
        "webhook listening on http://%s:%s%s",
        settings.webhook_host,
        settings.webhook_port,
        settings.webhook_path,
    )
    running = background.start(services)
    signals = (
        background.stopped_by_signals(app.inbound.stopping) if handle_signals else nullcontext()
    )
    try:
        await app.inbound.resume()
        await app.bot.set_webhook(
            settings.url,
            secret_token=web_app[SECRET].decode(),
            max_connections=settings.webhook_max_connections,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook registered at %s", settings.url)
        await publish_command_menus(app.bot, app.catalogs)
        with signals:
            await app.inbound.stopping.wait()
    finally:
        app.inbound.stopping.set()
        await runner.cleanup()  # no new requests; those in flight finish
        await app.inbound.drain(background.STOP_SECONDS)
        await background.stop(services, running)
