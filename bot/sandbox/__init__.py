"""The sandbox: the whole loop in a browser, without Telegram (`python -m bot sandbox`).

The real bot talks to the fake Bot API (`bot.fake_telegram`) as it would to Telegram; this
package is the other side of the fake: a web page that draws what the fake holds as Telegram
apps would (a resident's private chat, each deputy group's chat and its topics) and lets the
visitor act as those people, by the fake users' own methods. It knows nothing of the bot: it
imports neither the core nor the storage nor aiogram, so what the page shows is exactly what the
bot sent. `bot.runners.sandbox` puts the fake, the bot and the page together.

- ``world``: the people and chats of the demo, made in the fake from the directory file;
- ``texts``: the page's own strings (in the catalogs, like every other);
- ``page``: the aiohttp application: the page, its JSON calls and the server-sent events.
"""
