"""The page's own words, in the catalogs like every other string; the page and its script get
them in the visitor's language as one table."""

from bot.text.catalogs import N_, Texts

PAGE_TEXTS = {
    "title": N_("Liaison Station Bot sandbox"),
    "banner": N_(
        "This is a sandbox: no message goes to Telegram. The real bot runs here against a "
        "stand-in for Telegram, and you play every part: residents on the left, deputies on "
        "the right."
    ),
    "language": N_("Language"),
    "clock": N_("Sandbox time: "),
    "move_day": N_("+1 day"),
    "move_week": N_("+1 week"),
    "move_hint": N_(
        "Moving the clock lets deadlines, reminders, daily digests and rating requests come "
        "due now."
    ),
    "resident_side": N_("Resident"),
    "you_are": N_("You are"),
    "new_resident": N_("New resident"),
    "new_resident_name": N_("Name"),
    "new_resident_language": N_("Their app's language"),
    "add": N_("Add"),
    "bot_name": N_("Liaison station (bot)"),
    "message_placeholder": N_("Message"),
    "send": N_("Send"),
    "photo": N_("Photo"),
    "caption_placeholder": N_("Caption (optional)"),
    "group_side": N_("Deputy group"),
    "group": N_("Group"),
    "acting_as": N_("Acting as"),
    "topic": N_("Topic"),
    "general_topic": N_("General"),
    "reply": N_("Reply"),
    "replying_to": N_("Replying to:"),
    "cancel": N_("Cancel"),
    "location": N_("Location"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "share": N_("Share"),
    "place": N_("Place"),
    "other_place": N_("Other (coordinates below)"),
    "at_sea": N_("At sea (outside every area)"),
    "contact": N_("My phone number"),
    "too_many_photos": N_("An album holds at most {limit} photos."),
    "topic_created": N_("Topic created: {name}"),
    "topic_edited": N_("Topic renamed: {name}"),
    "topic_closed": N_("Topic closed"),
    "topic_reopened": N_("Topic reopened"),
    "edited": N_("edited"),
    "failed": N_("That did not work: {reason}"),
    "empty_name": N_("Please give the resident a name."),
    "empty_message": N_("Please write something first."),
    "unsupported": N_("(a kind of message this page does not draw)"),
    "offline": N_("Connection to the sandbox lost; reconnecting…"),
    "no_groups": N_("The directory has no deputy group with a chat."),
    "panel": N_("Staff panel"),
    "panel_login": N_("(administrator {login}, password {password})"),
}


def page_texts(t: Texts) -> dict[str, str]:
    return {key: t.gettext(message) for key, message in PAGE_TEXTS.items()}
