"""The public pages' cache: rendered pages kept in the process for a short while."""

import time
from dataclasses import dataclass, field

TTL = 60.0


@dataclass
class PublicCache:
    """Rendered pages by address and language, each kept `ttl` seconds."""

    ttl: float = TTL
    pages: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)

    def get(self, key: tuple[str, str]) -> str | None:
        found = self.pages.get(key)
        if found is None or found[0] < time.monotonic():
            self.pages.pop(key, None)
            return None
        return found[1]

    def put(self, key: tuple[str, str], page: str) -> None:
        if len(self.pages) > 1000:  # addresses come from outside: never grow without bound
            self.pages.clear()
        self.pages[key] = (time.monotonic() + self.ttl, page)
