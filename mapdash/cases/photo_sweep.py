"""Remove photo files that no stored photo points at.

store_photo() moves a photo into place before the transaction commits, and a rollback
deletes it again; only a crash between the two (the process killed, the machine down) leaves
a file behind. Files younger than `min_age` are never touched: their transaction may still
be running.

Uploads waiting for the worker (incoming/, photo_processing.py) stay as long as their pending
row does, however old; an original whose row is gone (the worker crashed after keeping the
clean copy, or a rollback the process did not live to clean up) is removed like any stray.
"""
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.cases.photos import INCOMING

# The notification worker's sweep (every PHOTO_SWEEP_MINUTES): no upload takes this long.
SCHEDULED_MIN_AGE = timedelta(hours=1)


def _old_files(folder: Path, min_age: timedelta) -> Iterator[Path]:
    cutoff = time.time() - min_age.total_seconds()
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            yield path


def _referenced(session: Session, prefix: str) -> set[str]:
    """The files of one folder (e.g. "2026/11") that photos rows point at."""
    rows = session.execute(text("""
        SELECT path, thumb_path FROM photos
        WHERE path LIKE :pattern OR thumb_path LIKE :pattern"""),
        {"pattern": prefix.replace("%", r"\%").replace("_", r"\_") + "/%"})
    return {name for row in rows for name in row}


def sweep(session: Session, root: Path, min_age: timedelta = timedelta(hours=24),
          dry_run: bool = False) -> list[Path]:
    """Delete (or with `dry_run` only list) the stray files under `root`, folder by folder."""
    stray = []
    incoming = root / INCOMING
    if incoming.is_dir():
        candidates = list(_old_files(incoming, min_age))
        if candidates:
            kept = _referenced(session, INCOMING)
            stray += [path for path in candidates if f"{INCOMING}/{path.name}" not in kept]
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        prefix = folder.relative_to(root).as_posix()
        candidates = list(_old_files(folder, min_age))
        if not candidates:
            continue
        kept = _referenced(session, prefix)
        for path in candidates:
            if f"{prefix}/{path.name}" not in kept:
                stray.append(path)
    if not dry_run:
        for path in stray:
            path.unlink(missing_ok=True)
    return stray
