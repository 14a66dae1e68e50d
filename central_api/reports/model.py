"""The plain result of a report: titled tables of rows, charts of some, and the cover."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Cell", "Chart", "Cover", "Report", "Table"]

Cell = str | int | float | None
"""What a table cell holds (None: empty)."""


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar chart of one table: labels from `label_column`, bars from `value_columns`.

    `only` keeps the rows whose column holds a value (``(0, "denied")``): the reasons
    chart draws denials, next to which the grants' one bar would flatten every other.
    """

    label_column: int
    value_columns: tuple[int, ...]
    stacked: bool = False
    only: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """One table of a report (a CSV section, an XLSX sheet, PDF pages)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]
    chart: Chart | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cover:
    """What the cover page says: which sites, which period, who made it and the audit head."""

    sites: tuple[str, ...]
    port_wide: bool
    period_from: datetime
    period_to: datetime
    generated_by: str
    generated_at: datetime
    audit_seq: int
    audit_head: str

    @property
    def site_label(self) -> str:
        """The sites in words: the site's id, or every site of a port-wide report."""
        names = ", ".join(self.sites) or "none"
        return f"all sites ({names})" if self.port_wide else names


@dataclass(frozen=True, slots=True)
class Report:
    """A computed report: its name and title, the cover, and its tables in order."""

    name: str
    title: str
    cover: Cover
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def table(self, key: str) -> Table:
        """The table called `key` (KeyError: none)."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)
