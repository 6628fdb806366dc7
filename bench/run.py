# ruff: noqa: S603, S607 - a benchmark driver: it starts its own fixed commands.
"""`make bench`: the public pages against the framework floor, uncached and cached, in one run.

Steps: make sure the benchmark database holds BENCH_COUNT generated articles (reused when it
does), collect static files, then for each mode (page cache off, page cache on) start gunicorn
with production settings on PostgreSQL + Redis and drive every page with wrk over loopback.
The floor (`/bench/floor/`, a constant page through the same middleware) is measured in each
mode. Queries per request are counted in-process (`bench/pages.py`). Finally two gunicorn
workers sharing Redis prove that a purge in another process stops the stale page everywhere.

Prints one table and writes `bench/results/bench-<count>-<time>.json`.

Environment (all optional):
  BENCH_COUNT=10000          articles in the benchmark database
  BENCH_DATABASE_URL         default postgres://postgres@127.0.0.1:5432/newsroom_bench_<count>
  BENCH_REDIS_URL            default redis://127.0.0.1:6379/5
  BENCH_WORKERS=2            gunicorn sync workers
  BENCH_CONNECTIONS=8        wrk connections (2 threads)
  BENCH_DURATION=10          seconds per page and mode
  BENCH_PORT=8100            first of the two ports used
  BENCH_ONLY                 only the pages whose name starts with this ("api": `make bench-api`)
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = sys.executable

COUNT = int(os.environ.get("BENCH_COUNT", "10000"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/newsroom_bench_{COUNT}"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
PORT = int(os.environ.get("BENCH_PORT", "8100"))

API_P95_MS = 50
TARGETS = {
    "uncached article share": 0.10,
    "cached share": 0.6,
    "cached p99 ms": 50,
    "uncached p99 ms": 100,
}


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def environment(port, *, page_cache, prefix):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "PAGE_CACHE", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": prefix,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "HTTPS": "0",
            "STATIC_ROOT": str(RESULTS / "static"),
            "MEDIA_ROOT": str(RESULTS / "media"),
            "PAGE_CACHE": "1" if page_cache else "0",
            # wrk is one client asking as fast as it can: the API's budgets would refuse it.
            "API_RATE_ANONYMOUS": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


SECRET_KEY = secrets.token_urlsafe(50)


def manage(*args, env):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def ensure_database(env):
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--noinput", "-v0", env=env)
    with psycopg.connect(DATABASE_URL) as conn:
        have = conn.execute("SELECT count(*) FROM articles_article").fetchone()[0]
    if have < COUNT:
        log(f"generating {COUNT - have} articles into {name} (has {have})")
        manage("generate_articles", "--count", str(COUNT - have), "--batch-size", "5000", env=env)
    else:
        log(f"reusing {name}: {have} articles")
    manage("collectstatic", "--noinput", "-v0", env=env)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("installing wrk from Debian")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True)


class Server:
    """gunicorn with ``WORKERS`` sync workers, in its own process group."""

    def __init__(self, port, env):
        self.port, self.env = port, env
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "newsroom.wsgi",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on port {self.port}")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=10) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read()


def wrk(url, duration=None):
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{duration or DURATION}s",
            "--timeout",
            "5s",
            "-s",
            str(BENCH / "wrk_report.lua"),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1]
    data = json.loads(line)
    seconds = data["duration_us"] / 1e6
    return {
        "rps": round(data["requests"] / seconds, 1),
        "p50_ms": round(data["p50_us"] / 1000, 2),
        "p95_ms": round(data["p95_us"] / 1000, 2),
        "p99_ms": round(data["p99_us"] / 1000, 2),
        "errors": data["errors"] + data["non_2xx_3xx"],
        "requests": data["requests"],
    }


def measure(server, pages, mode):
    """Each page right after its own short floor run: shares stay fair on a busy machine."""
    results = {"floors": {}}
    for name, path in pages.items():
        for _ in range(3):  # warm: connections, caches, renditions
            server.get(path)
        floor = wrk(server.url("/bench/floor/"), duration=max(2, DURATION // 2))
        results["floors"][name] = floor
        results[name] = wrk(server.url(path))
        results[name]["share"] = round(results[name]["rps"] / floor["rps"], 4)
        log(
            f"{mode:8} {name}: {results[name]['rps']} req/s (floor {floor['rps']}), "
            f"p99 {results[name]['p99_ms']} ms"
        )
    rates = sorted(f["rps"] for f in results["floors"].values())
    results["floor"] = min(
        results["floors"].values(), key=lambda f: abs(f["rps"] - rates[len(rates) // 2])
    )
    return results


def cross_process_purge(server, pages, env):
    """The workers share Redis: an edit and purge made by another process reaches all of them."""
    path = pages["article"]
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    marker = f"Standfirst revised {secrets.token_hex(4)}"
    for _ in range(4):
        server.get(path)
    before = [server.get(path)[1].get("X-Page-Cache") for _ in range(2 * WORKERS)]
    script = (
        "import django; django.setup(); "
        "from articles.models import Article; "
        "from articles.caching import purge_keys, article_keys; "
        f"a = Article.objects.get(slug={slug!r}); "
        f"Article.objects.filter(pk=a.pk).update(dek={marker!r}); "
        "purge_keys(article_keys(a))"
    )
    subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=env, check=True)
    after = []
    for _ in range(4 * WORKERS):
        _, headers, body = server.get(path)
        after.append((headers.get("X-Page-Cache"), marker in body.decode()))
    passed = all(state == "hit" for state in before) and all(fresh for _, fresh in after)
    return {"before_purge": before, "after_purge": after, "passed": passed}


def forget_cache(prefix):
    """Drop this run's keys from Redis (generation counters never expire by themselves)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)


def table(report):
    rows = []
    # Each share is against the floor measured just before that page.
    header = (
        "| page | uncached req/s | share | p50 ms | p99 ms | queries "
        "| cached req/s | share | p50 ms | p99 ms | queries |"
    )
    rows += [header, "|" + "---|" * 11]
    floor = {mode: report[mode]["floor"] for mode in ("uncached", "cached")}
    rows.append(
        f"| floor (median) | {floor['uncached']['rps']:,.0f} | 1 | {floor['uncached']['p50_ms']} "
        f"| {floor['uncached']['p99_ms']} | 0 | {floor['cached']['rps']:,.0f} | 1 "
        f"| {floor['cached']['p50_ms']} | {floor['cached']['p99_ms']} | 0 |"
    )
    for name in report["pages"]:
        cells = []
        for mode in ("uncached", "cached"):
            r = report[mode][name]
            share = r["share"]
            err = f" ({r['errors']} errors)" if r["errors"] else ""
            cells.append(
                f"{r['rps']:,.0f}{err} | {share:.3f} | {r['p50_ms']} | {r['p99_ms']} "
                f"| {report['queries'][name][mode]}"
            )
        rows.append(f"| {name} | {cells[0]} | {cells[1]} |")
    rows += ["", "| page | uncached p95 ms | cached p95 ms |", "|---|---|---|"]
    rows += [
        f"| {name} | {report['uncached'][name]['p95_ms']} | {report['cached'][name]['p95_ms']} |"
        for name in report["pages"]
    ]
    return "\n".join(rows)


def api_verdicts(report):
    checks = []
    for name in ("api articles", "api article"):
        if name not in report["pages"]:
            continue
        p95 = report["uncached"][name]["p95_ms"]
        q = report["queries"][name]["cached"]
        checks.append((f"{name}: uncached p95 ≤ {API_P95_MS} ms", p95 <= API_P95_MS, f"{p95} ms"))
        checks.append((f"{name}: cached, 0 queries", q == 0, f"{q} q"))
    return checks


def verdicts(report):
    if "article" not in report["pages"]:
        return api_verdicts(report)
    checks = api_verdicts(report)
    share = report["uncached"]["article"]["share"]
    checks.append(("uncached article ≥ 0.10 of floor", share >= 0.10, f"{share:.3f}"))
    for name in ("article", "home", "section"):
        share = report["cached"][name]["share"]
        q = report["queries"][name]["cached"]
        checks.append(
            (
                f"cached {name} ≥ 0.6 of floor, 0 queries",
                share >= 0.6 and q == 0,
                f"{share:.3f}, {q} q",
            )
        )
    worst_cached = max(report["cached"][n]["p99_ms"] for n in report["pages"])
    worst_uncached = max(report["uncached"][n]["p99_ms"] for n in report["pages"])
    checks.append(("p99 cached ≤ 50 ms (all pages)", worst_cached <= 50, f"{worst_cached} ms"))
    checks.append(
        ("p99 uncached ≤ 100 ms (all pages)", worst_uncached <= 100, f"{worst_uncached} ms")
    )
    checks.append(
        ("purge in one process reaches all workers", report["cross_process"]["passed"], "")
    )
    return checks


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    prefix = f"bench-{secrets.token_hex(4)}"
    base_env = environment(PORT, page_cache=False, prefix=prefix)
    ensure_database(base_env)
    found = json.loads(
        subprocess.run(
            [PYTHON, str(BENCH / "pages.py")],
            cwd=ROOT,
            env=base_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    pages = found["pages"]
    report = {
        "count": COUNT,
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "duration_s": DURATION,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()},
        "pages": pages,
        "queries": found["queries"],
        "status": found["status"],
    }
    with Server(PORT, environment(PORT, page_cache=False, prefix=prefix)) as server:
        report["uncached"] = measure(server, pages, "uncached")
    env = environment(PORT + 1, page_cache=True, prefix=prefix)
    with Server(PORT + 1, env) as server:
        report["cached"] = measure(server, pages, "cached")
        if "article" in pages:
            report["cross_process"] = cross_process_purge(server, pages, env)
    forget_cache(prefix)
    report["verdicts"] = [{"check": c, "passed": ok, "value": v} for c, ok, v in verdicts(report)]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-{COUNT}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(
        f"\nNewsroom benchmark: {COUNT:,} articles, gunicorn {WORKERS} workers, "
        f"wrk {CONNECTIONS} connections × {DURATION}s, {os.cpu_count()} CPUs\n"
    )
    print(table(report))
    print()
    for check, ok, value in verdicts(report):
        print(f"{'PASS' if ok else 'FAIL'}  {check}  {value}")
    print(f"\nJSON: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
