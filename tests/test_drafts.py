"""A draft as the handlers keep it in the FSM storage: read as a copy, saved whole."""

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from handlers.resident.drafts import current_draft, draft_length, draft_text, part_of


def context() -> FSMContext:
    return FSMContext(MemoryStorage(), StorageKey(bot_id=1, chat_id=5001, user_id=5001))


async def test_changing_the_draft_read_changes_nothing_stored_until_it_is_saved():
    state = context()
    await state.update_data(draft={"key": "k", "parts": [{"message_id": 7, "text": "路灯坏了。"}]})
    draft = await current_draft(state)
    draft["parts"].append({"message_id": 9, "text": "井盖也松了。"})
    part = part_of(draft, 7)
    assert part is not None
    part["text"] = "和祥社区的路灯坏了。"
    assert (await state.get_data())["draft"]["parts"] == [{"message_id": 7, "text": "路灯坏了。"}]
    await state.update_data(draft=draft)
    assert draft_text(await current_draft(state)) == "和祥社区的路灯坏了。\n\n井盖也松了。"


async def test_a_draft_saved_before_parts_knew_their_message_still_reads():
    state = context()
    await state.update_data(draft={"key": "k", "parts": ["第一段。", "第二段。"], "prompt_id": 3})
    draft = await current_draft(state)
    assert draft_text(draft) == "第一段。\n\n第二段。" and draft_length(draft) == 8
    assert draft["prompt_id"] == 3
    assert part_of(draft, 1) is None  # an edit of such a part is answered as not taken in


async def test_no_draft_is_a_new_empty_one_with_its_own_key():
    first, second = await current_draft(context()), await current_draft(context())
    assert first["parts"] == [] and first["key"] != second["key"]
