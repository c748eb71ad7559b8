"""Time every question of docs/analystes.md on a warehouse: median milliseconds over N runs, and the ratio to a
trivial baseline query timed in the same run (so a loaded machine shows up in the baseline, not as a slow query).

    .venv/bin/python benchmarks/cookbook.py --warehouse warehouse/qpv.duckdb [-n 20] [--question ID] [--max-ms 100]

Each query runs once to warm up, then N times, interleaved with the baseline, on one read-only connection opened as
`qpv sql` opens it. `--max-ms` makes the exit code 1 when a median is above the limit (the "< 100 ms" goal for the
analysts' questions); without it the script only reports.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from pipelines.warehouse.connection import WarehouseError, connection  # noqa: E402

COOKBOOK = ROOT / "docs" / "analystes.md"
BASELINE = "select count(*) from marts.ref_indicateurs"
BLOCK = re.compile(r"^```sql\n(.*?)^```", re.S | re.M)
QUESTION = re.compile(r"^-- question: (\S+)$", re.M)


def questions(path: Path = COOKBOOK) -> dict[str, str]:
    found = {}
    for block in BLOCK.findall(path.read_text(encoding="utf-8")):
        match = QUESTION.match(block)
        if match:
            found[match.group(1)] = block
    return found


def _time_ms(con, sql: str) -> tuple[float, int]:
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return (time.perf_counter() - start) * 1000, len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "warehouse" / "qpv.duckdb")
    parser.add_argument("-n", "--repeat", type=int, default=20, help="timed runs per query (default 20)")
    parser.add_argument("--question", action="append", help="only this question id (repeatable)")
    parser.add_argument("--max-ms", type=float, help="exit 1 if a median exceeds this many milliseconds")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("-n must be at least 1")
    selected = questions()
    if args.question:
        unknown = sorted(set(args.question) - set(selected))
        if unknown:
            parser.error(f"unknown question(s) {', '.join(unknown)}; known: {', '.join(selected)}")
        selected = {q: selected[q] for q in args.question}
    try:
        con_cm = connection(args.warehouse, read_only=True)
        con = con_cm.__enter__()
    except WarehouseError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    try:
        con.execute("set enable_external_access = false")
        baseline_all: list[float] = []
        results = []
        for qid, sql in selected.items():
            _time_ms(con, sql)  # warm-up (catalogue, caches)
            _time_ms(con, BASELINE)
            times, baselines, rows = [], [], 0
            for _ in range(args.repeat):
                ms, rows = _time_ms(con, sql)
                times.append(ms)
                baselines.append(_time_ms(con, BASELINE)[0])
            baseline_all += baselines
            results.append((qid, rows, statistics.median(times), statistics.median(baselines)))
    finally:
        con_cm.__exit__(None, None, None)

    print(f"# {args.warehouse} — {args.repeat} runs per query; baseline: {BASELINE}")
    print(f"# baseline median over the run: {statistics.median(baseline_all):.2f} ms")
    print(f"{'question':<34} {'rows':>6} {'median ms':>10} {'x baseline':>11}")
    over = []
    for qid, rows, median_ms, base_ms in results:
        ratio = median_ms / base_ms if base_ms > 0 else float("inf")
        flag = ""
        if args.max_ms is not None and median_ms > args.max_ms:
            over.append(qid)
            flag = f"  > {args.max_ms:g} ms"
        print(f"{qid:<34} {rows:>6} {median_ms:>10.2f} {ratio:>11.1f}{flag}")
    if over:
        print(f"{len(over)} question(s) above {args.max_ms:g} ms: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
