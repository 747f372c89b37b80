"""Run every benchmark: python -m mapdash.bench [--incidents N] [--layout single|national]."""
import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

from mapdash.bench import HEADER, BenchContext, format_row
from mapdash.bench.database import LAYOUTS, bench_database, seeded_line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=int(os.environ.get("BENCH_INCIDENTS", 1_000_000)))
    parser.add_argument("--layout", choices=LAYOUTS, default=os.environ.get("BENCH_LAYOUT", "single"),
                        help="single: every case in one organization; national: spread over many "
                             "organizations of 13 villages (mapdash/bench/database.py)")
    parser.add_argument("--only", default=None,
                        help="run only bench_<name> (several: names separated by commas)")
    args = parser.parse_args()

    with bench_database("mapdash-bench-", args.incidents, args.layout) as bench:
        print(seeded_line(bench, args.incidents, args.layout) + "\n")
        ctx = BenchContext(app=bench.app, incidents=args.incidents)
        print(HEADER)
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if module.name.startswith("bench_") and (
                    not args.only or module.name.removeprefix("bench_") in args.only.split(",")):
                importlib.import_module(f"{__package__}.{module.name}").run(ctx)
    over = [f for f in ctx.figures if f.verdict == "OVER"]
    print(f"\n{len(ctx.figures)} figures, {len(over)} over their floor")
    for figure in over:
        print("  OVER:", format_row(figure))
    return 0

if __name__ == "__main__":
    sys.exit(main())
