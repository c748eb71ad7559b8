"""All the stakeholder pages of a warehouse: the time and peak memory of `qpv dashboards`, against a baseline
measured in the same run.

    python -m benchmarks.pages --warehouse W [--out build/bench/pages] [--png] [--repeat 2]   (`make bench-pages`)

Issue 24's target: every page of the real-extracts warehouse (≈ 3,000 fiches) in under 60 s on 2 cores. Two runs
of `render_all` on the same warehouse, each in a child process (wall time from the import of the renderer, peak
RSS of the child):
1. the project as shipped: the fiches written by forked workers (dashboards.pages.fiches.fiche_processes);
2. the baseline: the same pages with one process (QPV_FICHES_PROCESSUS=1), so the ratio baseline / project says
   what the workers bring on this machine, whatever its load.
Each side runs --repeat times, interleaved, and keeps its best time (a shared machine's load hits both sides).
Both outputs are compared file by file (same pages, same CSV). PNG exports (Chromium) are left out unless --png:
they are one kaleido session, the same in both runs. Results: a table on stdout and <out>/results.json.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.paths import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "build" / "bench" / "pages"
TARGET_S = 60.0
CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from dashboards.render import render_all
out = Path(sys.argv[2])
render_all(Path(sys.argv[1]), out, png=sys.argv[3] == "1", fiches=True)
elapsed = time.perf_counter() - t0
pages = sum(1 for _ in out.rglob("*.html"))
fiches = sum(1 for _ in (out / "fiches").glob("*.html")) - 1
print(json.dumps({"s": elapsed, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pages": pages, "fiches": fiches}))
"""


def _run(warehouse: Path, out: Path, png: bool, processes: int | None) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("QPV_FICHES_PROCESSUS", None)
    if processes is not None:
        env["QPV_FICHES_PROCESSUS"] = str(processes)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(warehouse), str(out), "1" if png else "0"],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"render failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(
        done.stdout.strip().splitlines()[-1]
    )  # peak RSS: the main process (workers share its pages)


def _differences(a: Path, b: Path) -> list[str]:
    """Files present in one output only or with different bytes (the refresh date and the timestamps are the
    same: both runs read the same warehouse)."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        found.extend(prefix + n for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(a, b), "")
    return sorted(found)


def run(
    warehouse: Path, out: Path, png: bool = False, repeat: int = 2, processes: int | None = None, log=print
) -> dict:
    """Both sides, `repeat` times each; `processes` forces the project side's workers (None: as shipped)."""
    out.mkdir(parents=True, exist_ok=True)
    projects, baselines = [], []
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        for i in range(max(1, repeat)):  # interleaved, best of each side: a shared machine's load hits both
            projects.append(_run(warehouse, Path(tmp) / f"project{i}", png, processes))
            baselines.append(_run(warehouse, Path(tmp) / f"baseline{i}", png, 1))
        differences = _differences(Path(tmp) / "project0", Path(tmp) / "baseline0")
    project = min(projects, key=lambda r: r["s"])
    baseline = min(baselines, key=lambda r: r["s"])
    from dashboards.pages.fiches import fiche_processes

    row = {
        "warehouse": str(warehouse),
        "pages": project["pages"],
        "fiches": project["fiches"],
        "processes": processes or fiche_processes(project["fiches"]),
        "repeat": len(projects),
        "project_s": round(project["s"], 2),
        "baseline_s": round(baseline["s"], 2),
        "ratio": round(baseline["s"] / project["s"], 3),
        "project_peak_rss_mb": round(project["rss_mb"], 1),
        "baseline_peak_rss_mb": round(baseline["rss_mb"], 1),
        "target_s": TARGET_S,
        "under_target": project["s"] < TARGET_S,
        "same_result": not differences,
        "differences": differences[:20],
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    (out / "results.json").write_text(json.dumps(row, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(
        f"{row['pages']} pages ({row['fiches']} fiches), {row['cpus']} CPU: project {row['project_s']} s "
        f"({row['processes']} processes, peak RSS {row['project_peak_rss_mb']} MB), baseline one process "
        f"{row['baseline_s']} s, ratio {row['ratio']}; target {TARGET_S:.0f} s "
        f"{'met' if row['under_target'] else 'MISSED'}; same result: {row['same_result']}"
    )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--png", action="store_true", help="include the PNG exports (Chromium) in both runs")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side, interleaved (best kept)")
    args = parser.parse_args(argv)
    row = run(args.warehouse, args.out, args.png, args.repeat)
    return 0 if row["same_result"] else 1


if __name__ == "__main__":
    sys.exit(main())
