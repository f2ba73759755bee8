from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class IdCard:
    name: str
    id_number: str
    sex: str = ""
    ethnicity: str = ""
    address: str = ""


class IdCardReader(ABC):
    name: str = ""

    @abstractmethod
    def read(self, *, window_id: int | None = None) -> IdCard:
        """Read the card on the reader at this window; raise core Unavailable when no card/reader."""
