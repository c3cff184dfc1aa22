"""The resident's phone number, shared with Telegram's contact button and never required. Only
the resident's own contact is taken (Telegram says whose a contact is); the deputies see the
number only where the resident chose to show their name."""

from aiogram import F, Router
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.core.residents import keep_phone
from bot.text.catalogs import Texts
from handlers.middlewares.transaction import AfterCommit
from storage.models import Resident


def phone_offer(t: Texts) -> tuple[str, ReplyKeyboardMarkup]:
    """The offer to share the phone number, with the button that shares the resident's own
    (hidden once used)."""
    text = t.gettext(
        "If you wish, the deputies can call you back: share your phone number with the "
        "button below. This is not required; the number is shown only together with your name."
    )
    button = KeyboardButton(text=t.gettext("Share my phone number"), request_contact=True)
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True
    )
    return text, keyboard


async def take_contact(
    message: Message, after_commit: AfterCommit, resident: Resident, t: Texts
) -> None:
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        refusal = t.gettext(
            "Only your own phone number can be kept, so this contact was not. To share yours, "
            "please use the “Share my phone number” button."
        )
        after_commit(lambda: message.reply(refusal))
        return
    keep_phone(resident, message.contact.phone_number)
    kept = t.gettext(
        "Thank you, your phone number is kept. The deputies see it only if you choose to show "
        "your name. /forget deletes it."
    )
    after_commit(lambda: message.reply(kept, reply_markup=ReplyKeyboardRemove()))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(take_contact, F.contact)
    return router
