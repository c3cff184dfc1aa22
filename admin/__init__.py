"""The staff admin panel (aiohttp + Jinja2) of the street working committee (街道人大工委)."""
