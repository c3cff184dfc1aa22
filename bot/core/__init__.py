"""The domain: tickets, routing, areas, residents, the workflow and the directory. It imports
no aiogram and no aiohttp; front doors call it, passing who acts."""
