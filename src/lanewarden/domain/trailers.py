"""Commit trailers (``Lane: L-001``, ``Agent: claude``), as git parses them.

Git decides what the trailer block of a message is (``git interpret-trailers
--parse``, or ``%(trailers:only,unfold)`` in a log format); this module reads
git's normalized ``Key: value`` lines. Keys compare case-insensitively, as
git's own ``%(trailers:key=...)`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AGENT", "LANE", "Trailers"]

LANE = "Lane"
AGENT = "Agent"


@dataclass(frozen=True)
class Trailers:
    """The trailers of one commit message, in order."""

    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Trailers:
        """Read git's normalized trailer lines (one ``Key: value`` a line)."""
        items = []
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() and value.strip():
                items.append((key.strip(), value.strip()))
        return cls(tuple(items))

    def values(self, key: str) -> list[str]:
        """Every value of ``key``, in order, without duplicates."""
        wanted = key.lower()
        return list(dict.fromkeys(v for k, v in self.items if k.lower() == wanted))

    @property
    def lanes(self) -> list[str]:
        """The lanes the message names (normally one)."""
        return self.values(LANE)

    @property
    def agents(self) -> list[str]:
        """The agents the message names."""
        return self.values(AGENT)
