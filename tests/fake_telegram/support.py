"""What the fake's tests share besides fixtures: the bot's token, the ids of the people and
the forum in them, a clock the tests move, and an inline keyboard."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

TOKEN = "123456:TEST-token"
ALICE = 1001
GROUP = -1001234567890


class ManualClock:
    """Unix time that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def keyboard(callback_data: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="选择", callback_data=callback_data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
