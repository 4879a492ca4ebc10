"""Every ledger of the console, by slug: the app's selector, the API's FilterSet, the columns people read."""

from __future__ import annotations

from console.ledgers.base import Ledger
from console.ledgers.definitions import LEDGERS as _LEDGERS
from console.ledgers.oversight import OVERSIGHT_LEDGERS

LEDGERS = {**_LEDGERS, **OVERSIGHT_LEDGERS}

__all__ = ["LEDGERS", "Ledger"]
