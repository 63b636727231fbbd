"""Cell formatting shared by the report's sections: escaping (names and labels come from user
scenarios and models), percentages and fixed-point numbers, with a dash for a missing value."""

from __future__ import annotations

import html
from typing import Any

DASH = "—"


def esc(x: Any) -> str:
    return html.escape(str(x))


def pct(x: float | None, digits: int = 1) -> str:
    return DASH if x is None else f"{100 * float(x):.{digits}f}%"


def num(x: float | None, digits: int) -> str:
    return DASH if x is None else f"{float(x):.{digits}f}"
