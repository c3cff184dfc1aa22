"""Updates for the bot: made when something happens, kept until the bot confirms them (by a
getUpdates offset, or by a webhook's 2xx), and pushed to the webhook when one is set.

A webhook may answer an update with a method call, which is run as if the bot had made it.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout

from bot.fake_telegram.errors import TelegramError
from bot.fake_telegram.objects import Json
from bot.fake_telegram.requests import response_params

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram

WEBHOOK_TIMEOUT = ClientTimeout(total=10)  # a webhook that hangs counts as a failed delivery


@dataclass(eq=False)
class QueuedUpdate:
    """An update waiting for the bot to confirm it."""

    update: Json
    redelivery: bool = False  # handed out again even if the offset already passed it

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class Webhook:
    """The webhook setWebhook set, and the last delivery error getWebhookInfo reports."""

    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


def enqueue(fake: FakeTelegram, kind: str, payload: Json) -> None:
    """Queue an update, unless allowed_updates excludes its kind (Telegram decides that
    when the update happens, not when it is fetched)."""
    if fake._allowed_updates and kind not in fake._allowed_updates:
        return
    update_id = next(fake._update_ids)
    update = {"update_id": update_id, kind: copy.deepcopy(payload)}
    fake._history[update_id] = update
    fake._pending.append(QueuedUpdate(update))
    fake._state_changed()


def confirm(fake: FakeTelegram, offset: int | None) -> None:
    """Forget updates below `offset` (a negative one keeps only the last -offset)."""
    if not offset:
        return
    if offset < 0:
        fake._pending = fake._pending[offset:]
    else:
        fake._pending = [q for q in fake._pending if q.update_id >= offset or q.redelivery]


async def deliver_to_webhook(fake: FakeTelegram) -> None:
    """Push queued updates to the webhook one at a time, for as long as one is set."""
    while (hook := fake._webhook) is not None and not fake._stopping:
        if not fake._pending:
            await fake._change.wait()
            continue
        queued = fake._pending[0]
        queued.redelivery = False
        await _post_update(fake, hook, queued.update)
        if queued in fake._pending:
            fake._pending.remove(queued)
        fake._state_changed()


async def _post_update(fake: FakeTelegram, hook: Webhook, update: Json) -> None:
    """POST one update, retrying a few times; the last error shows in getWebhookInfo.
    (Telegram keeps retrying for much longer before it gives an update up.)"""
    headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
    if fake._http is None:
        fake._http = ClientSession(timeout=WEBHOOK_TIMEOUT)
    for attempt in range(fake.webhook_attempts):
        if attempt:
            await asyncio.sleep(fake.webhook_retry_delay * 2 ** (attempt - 1))
        try:
            async with fake._http.post(hook.url, json=update, headers=headers) as response:
                if response.status < 300:
                    await _run_webhook_reply(fake, response)
                    return
                problem = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (ClientError, TimeoutError) as error:
            problem = f"Connection failed: {error!r}"
        hook.last_error_date, hook.last_error_message = fake._now(), problem
        fake._state_changed()


async def _run_webhook_reply(fake: FakeTelegram, response: ClientResponse) -> None:
    """A webhook may answer an update with a method call; Telegram runs it."""
    try:
        params = await response_params(response)
    except TelegramError:
        return  # an unreadable reply is ignored, as Telegram ignores it
    method = params.pop("method", None)
    if isinstance(method, str):
        await fake._dispatch(fake.bot.token, method, params)
