"""Typed keys of the panel's application and of its requests."""

from collections.abc import Callable

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.access import Access
from admin.cache import PublicCache
from admin.throttle import LoginThrottle
from bot.clock import Clock
from bot.core.receptions import ReceptionDesk
from bot.core.staff_desk import StaffDesk
from bot.settings import AdminSettings
from bot.text.catalogs import Catalogs

SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
STAFF_DESK = web.AppKey("staff_desk", StaffDesk)
RECEPTIONS = web.AppKey("receptions", ReceptionDesk)
CATALOGS = web.AppKey("catalogs", Catalogs)
CLOCK = web.AppKey("clock", Clock)
SETTINGS = web.AppKey("settings", AdminSettings)
THROTTLE = web.AppKey("throttle", LoginThrottle)
TIMEZONE = web.AppKey("timezone", str)
WAKE_SENDER = web.AppKey("wake_sender", Callable[[], None])  # after a commit that queued
ACCESS = web.AppKey("access", dict[str, Access])  # route name → who may open it
PUBLIC_CACHE = web.AppKey("public_cache", PublicCache)
REDIS = web.AppKey("redis", Redis)  # set only when the panel shares Redis (REDIS_URL)
HEADS = web.AppKey("heads", str)  # the migrations' head(s) a ready database is at
