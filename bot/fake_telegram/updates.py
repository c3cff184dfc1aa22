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
    """Push queued updates to the webhook as Telegram does: up to `max_connections` requests
    at once, one chat's updates one after another (its next update only once the one before
    was answered 2xx), each retried until it is, for as long as the webhook is set."""
    in_flight: dict[int, asyncio.Task[None]] = {}  # by update id
    try:
        while (hook := fake._webhook) is not None and not fake._stopping:
            chats: set[object] = set()
            for queued in list(fake._pending):
                chat = _chat_of(queued.update) or queued.update_id
                if chat in chats:
                    continue  # an earlier update of this chat is not answered yet
                chats.add(chat)
                if queued.update_id in in_flight or len(in_flight) >= hook.max_connections:
                    continue
                queued.redelivery = False
                task = asyncio.create_task(_deliver(fake, hook, queued))
                in_flight[queued.update_id] = task
                task.add_done_callback(lambda _, key=queued.update_id: in_flight.pop(key, None))
            await fake._change.wait()
    finally:
        for task in in_flight.values():
            task.cancel()
        await asyncio.gather(*in_flight.values(), return_exceptions=True)


def _chat_of(update: Json) -> object:
    """The chat an update belongs to (Telegram orders delivery by it), if any."""
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or value.get("message", {}).get("chat")
            if isinstance(chat, dict):
                return chat.get("id")
            if isinstance(value.get("from"), dict):
                return value["from"].get("id")
    return None


async def _deliver(fake: FakeTelegram, hook: Webhook, queued: QueuedUpdate) -> None:
    if await _post_update(fake, hook, queued.update) and queued in fake._pending:
        fake._pending.remove(queued)
    fake._state_changed()


async def _post_update(fake: FakeTelegram, hook: Webhook, update: Json) -> bool:
    """POST one update until it is answered 2xx (the delay doubling up to 64 times the
    first) or the webhook is changed (False); the last error shows in getWebhookInfo."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
    if fake._http is None:
        fake._http = ClientSession(timeout=WEBHOOK_TIMEOUT)
    attempt = 0
    while fake._webhook is hook and not fake._stopping:
        if attempt:
            await asyncio.sleep(fake.webhook_retry_delay * 2 ** min(attempt - 1, 6))
        attempt += 1
        try:
            async with fake._http.post(hook.url, json=update, headers=headers) as response:
                if response.status < 300:
                    await _run_webhook_reply(fake, response)
                    return True
                problem = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (ClientError, TimeoutError) as error:
            problem = f"Connection failed: {error!r}"
        hook.last_error_date, hook.last_error_message = fake._now(), problem
        fake.webhook_errors += 1
        fake._state_changed()
    return False


async def _run_webhook_reply(fake: FakeTelegram, response: ClientResponse) -> None:
    """A webhook may answer an update with a method call; Telegram runs it."""
    try:
        params = await response_params(response)
    except TelegramError:
        return  # an unreadable reply is ignored, as Telegram ignores it
    method = params.pop("method", None)
    if isinstance(method, str):
        await fake._dispatch(fake.bot.token, method, params)
