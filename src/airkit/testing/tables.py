"""Table snapshots for idempotency proofs: a checksum to compare, the rows to explain a difference.

Rows are compared as their text form (`t::text`) in sorted order, so equal contents give equal
checksums whatever the load order, and no key has to be named.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from psycopg2 import sql

#: Rows kept per table to explain a difference; the checksum always covers the whole table.
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Snapshot:
    table: str
    count: int
    digest: str
    rows: tuple[str, ...]

    def diff(self, later: "Snapshot", limit: int = 10) -> str:
        """The first rows only in one of the two snapshots, as a human reads them."""
        before, after = Counter(self.rows), Counter(later.rows)
        gone, new = list((before - after).elements()), list((after - before).elements())
        lines = [f"{self.table}: {self.count} rows -> {later.count} rows "
                 f"({len(gone)} only before, {len(new)} only after)"]
        lines += [f"  - {row}" for row in gone[:limit]]
        lines += [f"  + {row}" for row in new[:limit]]
        if len(gone) > limit or len(new) > limit:
            lines.append(f"  ... first {limit} of each shown")
        return "\n".join(lines)


def snapshot(conn, table: str, where: str | None = None, params: dict | None = None) -> Snapshot:
    """Checksum and rows of `table` (optionally `where`, with %(name)s bind parameters)."""
    name = sql.Identifier(*table.split("."))
    condition = sql.SQL(f"WHERE {where}") if where else sql.SQL("")  # where: written by the test author
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                            "FROM {} t {}").format(name, condition), params)
        count, digest = tuple(_values(cur.fetchone()))
        cur.execute(sql.SQL("SELECT t::text FROM {} t {} ORDER BY 1 LIMIT %(limit)s").format(name, condition),
                    {**(params or {}), "limit": MAX_ROWS})
        rows = tuple(next(iter(_values(r))) for r in cur.fetchall())
    return Snapshot(table, count, digest, rows)


def _values(row):
    # Dict rows (RealDictCursor) and tuple rows alike.
    return row.values() if isinstance(row, dict) else row
