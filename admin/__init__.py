"""The staff panel (工作人员后台): aiohttp + Jinja2, server-rendered, served by the bot's process
or alone (`python -m bot admin`). It parses forms and renders pages; every action is a core
function (`bot.core.staff_desk`, `bot.core.staff`), called with the staff member who acts."""
