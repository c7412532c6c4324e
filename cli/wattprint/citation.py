"""A cited source: the one shape every shipped figure's provenance takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    year: int
    url: str | None = None
    licence: str | None = None

    def cite(self) -> str:
        return f"{self.publisher}, {self.title} ({self.year})"
