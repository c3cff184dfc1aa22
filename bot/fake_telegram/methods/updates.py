"""Bot API methods for receiving updates: getUpdates (long polling) and the webhook ones.

A long poll waits until an update arrives, its timeout passes, a newer poll replaces it (which
gets it a 409 Conflict, as in Telegram) or a webhook is set.
"""

from __future__ import annotations

import asyncio
import copy
from typing import TYPE_CHECKING

from bot.fake_telegram.errors import POLL_CONFLICT, WEBHOOK_CONFLICT, TelegramError, bad_request
from bot.fake_telegram.objects import Json, without_none
from bot.fake_telegram.updates import Webhook, confirm, deliver_to_webhook

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram


async def get_updates(fake: FakeTelegram, p: Json) -> list[Json]:
    if fake._webhook is not None:
        raise TelegramError(409, WEBHOOK_CONFLICT)
    if "allowed_updates" in p:
        fake._allowed_updates = p["allowed_updates"]
    confirm(fake, p.get("offset"))
    fake._poll_generation += 1
    generation = fake._poll_generation
    fake._state_changed()  # an older long poll still waiting is answered with a conflict

    def answerable() -> bool:
        replaced = generation != fake._poll_generation
        return bool(fake._pending) or replaced or fake._webhook is not None or fake._stopping

    await fake._wait_until(answerable, max(p.get("timeout", 0), 0))
    if generation != fake._poll_generation:
        raise TelegramError(409, POLL_CONFLICT)
    if fake._webhook is not None:
        raise TelegramError(409, WEBHOOK_CONFLICT)
    batch = fake._pending[: min(max(p.get("limit", 100), 1), 100)]
    for queued in batch:
        queued.redelivery = False
    return [copy.deepcopy(queued.update) for queued in batch]


async def set_webhook(fake: FakeTelegram, p: Json) -> bool:
    if not p["url"].startswith(("https://", "http://")):  # the fake also allows plain http
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.get("drop_pending_updates"):
        fake._pending.clear()
    if "allowed_updates" in p:
        fake._allowed_updates = p["allowed_updates"]
    fake._webhook = Webhook(p["url"], p.get("secret_token"), p.get("max_connections", 40))
    if fake._webhook_task is None or fake._webhook_task.done():
        fake._webhook_task = asyncio.create_task(deliver_to_webhook(fake))
    fake._state_changed()
    return True


async def delete_webhook(fake: FakeTelegram, p: Json) -> bool:
    if p.get("drop_pending_updates"):
        fake._pending.clear()
    fake._webhook = None
    fake._state_changed()
    return True


async def get_webhook_info(fake: FakeTelegram, p: Json) -> Json:
    hook = fake._webhook
    info: Json = {
        "url": hook.url if hook is not None else "",
        "has_custom_certificate": False,
        "pending_update_count": len(fake._pending),
    }
    if hook is not None:
        info |= without_none(
            {
                "max_connections": hook.max_connections,
                "last_error_date": hook.last_error_date,
                "last_error_message": hook.last_error_message,
            }
        )
    if fake._allowed_updates:
        info["allowed_updates"] = list(fake._allowed_updates)
    return info
