"""Headless Chromium for the browser tests: Debian's `chromium` package driven by Playwright
(never a downloaded browser). Without it the tests are skipped, saying how to install it;
with CI=true (where `.ci/run` installs it) they fail instead."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"  # screenshots; not committed


def require_chromium() -> None:
    """Call at the top of a browser test module."""
    missing = not CHROMIUM.exists()
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        reason = "Debian's chromium or Playwright is missing (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@asynccontextmanager
async def chromium_page(width: int = 1280, height: int = 900) -> AsyncIterator["Page"]:  # noqa: F821
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            context = await browser.new_context(viewport={"width": width, "height": height})
            yield await context.new_page()
        finally:
            await browser.close()
