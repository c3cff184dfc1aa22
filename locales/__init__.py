"""The gettext catalogs (`<locale>/LC_MESSAGES/messages.po`), shipped as package data so that
an installed bot finds them here; see `bot.text.catalogs`."""
