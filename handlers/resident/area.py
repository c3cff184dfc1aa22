"""The resident's area: chosen with buttons, district → street (township) → community."""

from html import escape
from typing import Annotated

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.drafts import DraftBook
from bot.core.locations import any_boundary, area_at
from bot.text.catalogs import Texts
from bot.text.render import area_path_text, name_in
from handlers.answers import acknowledge, edit, reported
from handlers.middlewares.transaction import AfterCommit
from handlers.resident.drafts import prompt_to_submit
from handlers.stale import stale_button
from storage.models import Area, AreaKind, Resident
from storage.queries.areas import area_path, areas_under


class AreaChoice(CallbackData, prefix="area"):
    area_id: Annotated[int, Field(ge=0, le=2**63 - 1)]  # 0: the top of the tree; a database id
    pick: bool = False  # True: choose this area itself, not one below it


async def area_picker(
    session: AsyncSession, t: Texts, parent: Area | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question and buttons for choosing an area one level below `parent`."""
    areas = await areas_under(session, parent.id if parent else None)
    if parent is None and not areas:
        return t.gettext(
            "No areas have been set up yet, so opinions and suggestions cannot be passed on. "
            "Please try again later."
        ), None
    builder = InlineKeyboardBuilder()
    for area in areas:
        builder.button(text=name_in(t, area), callback_data=AreaChoice(area_id=area.id))
    builder.adjust(2)
    if parent is None:
        question = t.gettext("Which district do you live in?")
        if await any_boundary(session):
            question += "\n" + t.gettext(
                "Or send your location (📎 → Location) and your area is found from it."
            )
        return question, builder.as_markup()
    builder.row(
        *InlineKeyboardBuilder()
        .button(
            text=t.gettext("None of these: {area}").format(area=name_in(t, parent)),
            callback_data=AreaChoice(area_id=parent.id, pick=True),
        )
        .button(text=t.gettext("Back"), callback_data=AreaChoice(area_id=parent.parent_id or 0))
        .buttons
    )
    path = escape(area_path_text(t, await area_path(session, parent.id)))
    question = {
        AreaKind.STREET: t.gettext("Please choose your street (township):"),
        AreaKind.COMMUNITY: t.gettext("Please choose your community (village):"),
    }.get(areas[0].kind if areas else AreaKind.GRID, t.gettext("Please choose your grid:"))
    return f"{path}\n{question}", builder.as_markup()


async def ask_area(
    message: Message, session: AsyncSession, after_commit: AfterCommit, t: Texts
) -> None:
    text, keyboard = await area_picker(session, t, None)
    after_commit(lambda: message.answer(text, reply_markup=keyboard))


async def choose_area(
    query: CallbackQuery,
    callback_data: AreaChoice,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    assert isinstance(query.message, Message)
    message = query.message
    area = await session.get(Area, callback_data.area_id) if callback_data.area_id else None
    if callback_data.area_id and (area is None or not area.active):
        after_commit(lambda: stale_button(query, t))  # an area no longer in the directory
        return
    below = await areas_under(session, area.id) if area else []
    if area is None or (below and not callback_data.pick):  # one level further down
        text, keyboard = await area_picker(session, t, area)

        async def show_picker() -> None:
            await edit(message, text, keyboard)
            await acknowledge(query)

        after_commit(show_picker)
        return
    resident.area_id = area.id
    chosen = t.gettext("Your area: {area}.").format(
        area=escape(area_path_text(t, await area_path(session, area.id)))
    )
    draft = await drafts.load(session, resident.id)
    write_now = write_now_text(t)

    async def tell() -> None:
        await acknowledge(query)
        if draft["parts"]:
            # Edited already: the same button pressed twice; one prompt is enough.
            if await edit(message, chosen):
                await prompt_to_submit(bot, message, drafts, resident.id, t, draft)
        else:
            await edit(message, chosen + "\n\n" + write_now)

    # Told only once the area is saved, and a failure to tell does not undo it.
    after_commit(reported(tell, f"resident {resident.id}'s area"))


async def located(
    message: Message,
    bot: Bot,
    drafts: DraftBook,
    session: AsyncSession,
    after_commit: AfterCommit,
    resident: Resident,
    t: Texts,
) -> None:
    """A shared location: the area whose boundary holds it becomes the resident's, if they
    have none yet; otherwise they are offered it. Outside every area: the buttons."""
    assert message.location is not None
    area = await area_at(session, message.location.longitude, message.location.latitude)
    if area is None:
        text, keyboard = await area_picker(session, t, None)
        outside = t.gettext(
            "This place is outside the areas served here. Please choose your area with the buttons."
        )
        after_commit(lambda: message.reply(f"{outside}\n\n{text}", reply_markup=keyboard))
        return
    path = escape(area_path_text(t, await area_path(session, area.id)))
    if resident.area_id is not None and resident.area_id != area.id:
        offer = t.gettext("This place is in {area}.").format(area=path)
        builder = InlineKeyboardBuilder()
        builder.button(
            text=t.gettext("Make it my area"), callback_data=AreaChoice(area_id=area.id, pick=True)
        )
        keyboard = builder.as_markup()
        after_commit(lambda: message.reply(offer, reply_markup=keyboard))
        return
    resident.area_id = area.id
    chosen = t.gettext("Your area: {area}.").format(area=path)
    draft = await drafts.load(session, resident.id)

    async def tell() -> None:
        if draft["parts"]:
            await message.reply(chosen)
            await prompt_to_submit(bot, message, drafts, resident.id, t, draft)
        else:
            await message.reply(chosen + "\n\n" + write_now_text(t))

    after_commit(reported(tell, f"resident {resident.id}'s area from a location"))


def write_now_text(t: Texts) -> str:
    return t.gettext(
        "Now please write your opinion or suggestion. You can send it in several "
        "messages, then press “Submit”."
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(ask_area, Command("area"))
    router.message.register(located, F.location)
    router.callback_query.register(choose_area, AreaChoice.filter())
    return router
