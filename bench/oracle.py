"""The differential oracle's long run: many random programs against HIPS autograd.

  python -m bench.oracle --programs 10000        # needs the test extra (autograd)

Each program (tests/oracle.py) is checked on its output, every input's and
named intermediate's value and gradient, the backward steps' running sums and,
for programs ending in one number, the training tape. Prints progress, the
count that agree, how often each op was used, and every program that
disagrees (its seed, its text and what differed); exits 1 if any does.
The test suite runs the first 2,000 seeds; this runs as many as asked.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from tests.oracle import Report, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.oracle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=10_000, help="how many (10,000)")
    parser.add_argument("--start", type=int, default=0, help="the first seed (0)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    failures: list[Report] = []
    crashes: list[tuple[int, str]] = []
    ops: Counter[str] = Counter()
    tape = 0
    seeds = range(args.start, args.start + args.programs)
    for done, seed in enumerate(seeds, 1):
        try:
            report = run(seed)
        except Exception as err:  # a crash is a disagreement too, and the run goes on
            crashes.append((seed, f"{type(err).__name__}: {err}"))
            continue
        ops.update(report.ops)
        tape += seed % 2 == 0
        if not report.ok:
            failures.append(report)
        if not args.quiet and done % 1000 == 0:
            print(f"  {done:,} programs, {len(failures) + len(crashes)} disagree, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    elapsed = time.perf_counter() - started
    agree = args.programs - len(failures) - len(crashes)
    print(f"{agree}/{args.programs} agree with autograd (seeds {args.start}–"
          f"{args.start + args.programs - 1}, {elapsed:.1f} s; training tape checked on "
          f"{tape:,})")
    print("programs using each op: " + ", ".join(f"{op} {n:,}" for op, n in ops.most_common()))
    for report in failures[:20]:
        print(f"\nseed {report.seed} disagrees:\n{report.program.source}values = "
              f"{report.program.values}")
        for problem in report.problems[:5]:
            print("  " + problem)
    for seed, error in crashes[:20]:
        print(f"\nseed {seed} raised {error}")
    return 0 if agree == args.programs else 1


if __name__ == "__main__":
    sys.exit(main())
