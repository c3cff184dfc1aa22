"""The Telegram channel: Bot API delivery and its limits, the dispatcher, event isolation,
update de-duplication and command menus."""
