"""Run every benchmark: python -m mapdash.bench [--incidents N] [--layout single|national]."""
import argparse
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
from pathlib import Path

from mapdash.bench import HEADER, BenchContext, format_row
from mapdash.bench.database import LAYOUTS, build


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=int(os.environ.get("BENCH_INCIDENTS", 1_000_000)))
    parser.add_argument("--layout", choices=LAYOUTS, default=os.environ.get("BENCH_LAYOUT", "single"),
                        help="single: every case in one organization; national: spread over many "
                             "organizations of 13 villages (mapdash/bench/database.py)")
    parser.add_argument("--only", default=None, help="run only bench_<name>")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="mapdash-bench-"))
    root.chmod(0o755)
    bench = None
    try:
        bench = build(root, args.incidents, args.layout)
        print(f"seeded {args.incidents:,} synthetic cases ({args.layout} layout, "
              f"{bench.organizations:,} organization{'s' if bench.organizations > 1 else ''}) "
              f"in {bench.seed_seconds:.0f} s\n")
        ctx = BenchContext(app=bench.app, incidents=args.incidents)
        print(HEADER)
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if module.name.startswith("bench_") and (not args.only or module.name == f"bench_{args.only}"):
                importlib.import_module(f"{__package__}.{module.name}").run(ctx)
        over = [f for f in ctx.figures if f.verdict == "OVER"]
        print(f"\n{len(ctx.figures)} figures, {len(over)} over their floor")
        for figure in over:
            print("  OVER:", format_row(figure))
        bench.app.extensions["db_engine"].dispose()
        return 0
    finally:
        if bench is not None:
            bench.cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
