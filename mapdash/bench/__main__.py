"""Run every benchmark: python -m mapdash.bench [--incidents N]."""
import argparse
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.bench import HEADER, BenchContext, format_row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=int(os.environ.get("BENCH_INCIDENTS", 1_000_000)))
    parser.add_argument("--only", default=None, help="run only bench_<name>")
    args = parser.parse_args()

    from mapdash import create_app, db
    from mapdash.demo.load import load_demo
    from mapdash.demo.synthetic import seed_synthetic
    from mapdash.localdb import LocalCluster

    root = Path(tempfile.mkdtemp(prefix="mapdash-bench-"))
    root.chmod(0o755)
    cluster = LocalCluster(root / "pg", durable=False)
    try:
        cluster.start()
        cluster.ensure_database("bench")
        url = cluster.url("bench")
        db.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ENV": "development",
                          "PHOTO_DIR": str(root / "photos"),
                          "DOCUMENT_DIR": str(root / "documents"), "WTF_CSRF_ENABLED": False,
                          "RATELIMIT_ENABLED": False})
        with Session(app.extensions["db_engine"]) as session, app.app_context():  # documents
            load_demo(session)
            start = time.perf_counter()
            seed_synthetic(session, args.incidents)
            session.commit()
        # As autovacuum leaves a table after a bulk load: the visibility map set, so the
        # planner costs index-only scans as they run in service (a fresh load would not).
        with app.extensions["db_engine"].connect().execution_options(
                isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) incidents"))
        print(f"seeded {args.incidents:,} synthetic cases in {time.perf_counter() - start:.0f} s\n")
        ctx = BenchContext(app=app, incidents=args.incidents)
        print(HEADER)
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if module.name.startswith("bench_") and (not args.only or module.name == f"bench_{args.only}"):
                importlib.import_module(f"{__package__}.{module.name}").run(ctx)
        over = [f for f in ctx.figures if f.verdict == "OVER"]
        print(f"\n{len(ctx.figures)} figures, {len(over)} over their floor")
        for figure in over:
            print("  OVER:", format_row(figure))
        app.extensions["db_engine"].dispose()
        return 0
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
