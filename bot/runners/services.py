"""Running a process's background services (the sender, the outbox wake-up, the supervisor)
until SIGTERM or SIGINT, then stopping them within a bounded time. Each role's command
(`sender`, `supervisor`) is this with its own services; `run` and `webhook` run theirs beside
the intake of updates."""

import asyncio
import logging
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from bot.app import BackgroundService

log = logging.getLogger(__name__)

STOP_SECONDS = 10  # what a process in hand gets to finish on SIGTERM before it is cut off


@contextmanager
def stopped_by_signals(stopping: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stopping` while the block runs."""
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stopping.set)
    try:
        yield
    finally:
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(stop_signal)


def start(services: Sequence[BackgroundService]) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(s.run(), name=type(s).__name__) for s in services]


async def stop(services: Sequence[BackgroundService], running: list[asyncio.Task[None]]) -> None:
    """Each finishes the work in hand (nothing is cut off mid-send); what is still running
    after STOP_SECONDS is cancelled."""
    for service in services:
        service.stop()
    if not running:
        return
    _, late = await asyncio.wait(running, timeout=STOP_SECONDS)
    for task in late:
        log.warning("%s did not stop within %ss; cancelled it", task.get_name(), STOP_SECONDS)
        task.cancel()
    if late:
        await asyncio.wait(late)


async def run_services(services: Sequence[BackgroundService], stopping: asyncio.Event) -> None:
    """Runs the services until `stopping` is set, then stops them."""
    running = start(services)
    names = ", ".join(type(service).__name__ for service in services)
    log.info("running %s", names)
    try:
        await stopping.wait()
    finally:
        await stop(services, running)
    log.info("stopped %s", names)
