# ruff: noqa: S603, S607 - a benchmark driver: it starts its own fixed commands.
"""`make bench-import`: import a generated WordPress export on PostgreSQL, then again.

Steps: write a synthetic export (`bench/wxr.py`: BENCH_IMPORT_POSTS posts, 500 authors, 2,000
tags, a picture on every tenth post, into bench/results/, reused when present), create an
empty database, migrate it, run `manage.py import_wordpress` with production settings and
time it, then run it again on the unchanged export. Each run's peak memory (the process's
maximum resident set) is measured. With BENCH_IMPORT_BIG=1 it also writes an export of about
1 GB (the same posts, each with 45 comments of about 1 KB, as real exports carry them) to a
temporary folder and imports that into a fresh database, for the memory ceiling.

Prints a table and writes `bench/results/import-<posts>-<time>.json`.

Environment (all optional):
  BENCH_IMPORT_POSTS=20000
  BENCH_IMPORT_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/newsroom_bench_import
  BENCH_REDIS_URL            default redis://127.0.0.1:6379/5
  BENCH_IMPORT_BIG=0         1: also import a 1 GB export
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
POSTS = int(os.environ.get("BENCH_IMPORT_POSTS", "20000"))
DATABASE_URL = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench_import"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
BIG = os.environ.get("BENCH_IMPORT_BIG", "0") == "1"
# Runs a command and prints its peak resident set (kB) last: the wrapper's only child is it.
PEAK_RSS = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
)


def log(message):
    print(f"[bench-import] {message}", file=sys.stderr, flush=True)


def environment(database_url, media_root):
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"bench-import-{secrets.token_hex(4)}",
        "MEDIA_ROOT": str(media_root),
        "SITE_URL": "http://127.0.0.1:8000",
    }


def fresh_database(database_url, env):
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def timed_import(export, uploads, env):
    """(seconds, peak RSS in MB, the report's lines)."""
    started = time.monotonic()
    result = subprocess.run(
        [
            PYTHON,
            "-c",
            PEAK_RSS,
            PYTHON,
            "manage.py",
            "import_wordpress",
            str(export),
            "--uploads",
            str(uploads),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    lines = result.stdout.strip().splitlines()
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"import failed ({result.returncode})")
    return seconds, int(lines[-1]) / 1024, lines[:-1]


def generate(out, uploads, **options):
    args = [PYTHON, "bench/wxr.py", str(out), "--posts", str(POSTS), "--uploads", str(uploads)]
    for name, value in options.items():
        args += [f"--{name}", str(value)]
    subprocess.run(args, cwd=ROOT, check=True)


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    export = RESULTS / f"wxr-{POSTS}.xml"
    uploads = RESULTS / f"wxr-{POSTS}-uploads"
    if not export.exists():
        log(f"writing a {POSTS}-post export to {export.relative_to(ROOT)}")
        generate(export, uploads)
    report = {"posts": POSTS, "export_mb": round(export.stat().st_size / 1e6, 1), "runs": {}}
    load = os.getloadavg()
    report["load_before"] = [round(x, 2) for x in load]
    with tempfile.TemporaryDirectory(prefix="bench-import-media-") as media:
        env = environment(DATABASE_URL, media)
        fresh_database(DATABASE_URL, env)
        for run in ("first import", "re-import (unchanged)"):
            log(f"{run} of {export.name}")
            seconds, rss, lines = timed_import(export, uploads, env)
            report["runs"][run] = {
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(rss),
                "report": lines,
            }
    if BIG:
        with tempfile.TemporaryDirectory(prefix="bench-import-big-") as folder:
            big, big_uploads = Path(folder) / "big.xml", Path(folder) / "uploads"
            log("writing a 1 GB export (the posts with 45 comments each)")
            generate(big, big_uploads, comments=45)
            report["big_export_mb"] = round(big.stat().st_size / 1e6, 1)
            env = environment(DATABASE_URL, Path(folder) / "media")
            fresh_database(DATABASE_URL, env)
            log(f"importing {report['big_export_mb']} MB")
            seconds, rss, lines = timed_import(big, big_uploads, env)
            report["runs"]["1 GB export"] = {
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(rss),
                "report": lines,
            }
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\nWordPress import, {POSTS} posts ({report['export_mb']} MB), PostgreSQL")
    print(f"{'run':<24}{'seconds':>10}{'peak RSS MB':>14}")
    for run, figures in report["runs"].items():
        print(f"{run:<24}{figures['seconds']:>10}{figures['peak_rss_mb']:>14}")
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    for line in report["runs"]["first import"]["report"][:8]:
        print("  " + line)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"import-{POSTS}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    log(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
