"""The bot as processes of their own (`python -m bot <role>`), each logging to a file, and a
round-robin load balancer in front of webhook processes, as nginx would be."""

import asyncio
import itertools
import os
import signal
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.settings import Settings

SETTINGS_VARIABLES = {
    name.upper()
    for section in Settings.model_fields.values()
    for name in section.annotation.model_fields  # type: ignore[union-attr]
}
# A bot process started by a test or a bench leaves the staff panel's port to whoever runs one.
NO_PANEL = {"ADMIN_BIND": ""}


class BotProcess:
    """`python -m bot ROLE` in a process of its own, its log appended to `<name>.log`."""

    def __init__(self, role: str, name: str, env: dict[str, str], cwd: Path) -> None:
        clean = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
        self.role = role
        self.name = name
        self.env = {**clean, **NO_PANEL, **env}
        self.cwd = cwd
        self.log = cwd / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.exit_statuses: list[int] = []

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", self.role, cwd=self.cwd, env=self.env, stderr=log
            )
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 60) -> int:
        """SIGTERM, and its exit status (which a clean stop makes 0)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(self.process.wait(), timeout)
        self.exit_statuses.append(status)
        return status

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


class Balancer:
    """Round robin over the webhook processes in `backends` (changeable while it runs); a
    backend that refuses the connection is skipped for the next one (nginx's
    proxy_next_upstream), and 502 is the answer when none takes the request."""

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.served: dict[str, int] = {}
        self._turn = itertools.count()
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, port: int) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        backends = list(self.backends)
        first = next(self._turn)
        for n in range(len(backends)):
            backend = backends[(first + n) % len(backends)]
            try:
                async with self._client.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as answer:
                    self.served[backend] = self.served.get(backend, 0) + 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502)
