"""`make bench-cluster`: the scaled-out topology's numbers, side by side in one run.

1. A cached article through Varnish against nginx serving the same bytes as a static file
   (wrk, BENCH_CONNECTIONS connections): Varnish's requests per second as a share of nginx's.
2. A publish storm: 50 stories published in 10 s (one every 0.2 s, each purging its keys)
   while wrk reads the home page through Varnish: hit rate, p99, backend requests per purge.
3. Uncached pages (passed by Varnish, rendered by the application) with one application
   server, then two: the requests per second of each and their ratio (same cores).

Runs against `make cluster` when it is up, else starts the cluster itself (deploy/cluster.py).
Prints a table and writes bench/results/cluster-<time>.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.cluster import Cluster, answers, wait_for  # noqa: E402

BENCH = ROOT / "bench"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
NGINX_PORT = 8250
STORM_STORIES = 50
STORM_SECONDS = 10


def log(message):
    print(message, file=sys.stderr, flush=True)


def wrk_command(url, duration, headers=()):
    # A generous timeout: a slow answer counts in the latencies, not as an error.
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    return [*command, "-s", str(BENCH / "wrk_report.lua"), url]


def wrk_result(out):
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    return result


def wrk(url, duration=DURATION, headers=()):
    command = wrk_command(url, duration, headers)
    return wrk_result(subprocess.run(command, capture_output=True, text=True, check=True).stdout)  # noqa: S603


def nginx_serving(html, workdir):
    """nginx on NGINX_PORT serving ``html`` at /article.html; returns its process."""
    root = workdir / "www"
    root.mkdir()
    (root / "article.html").write_bytes(html)
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes auto;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {workdir}/client;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    default_type text/html;
    server {{
        listen 127.0.0.1:{NGINX_PORT};
        root {root};
    }}
}}
"""
    )
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(workdir)])  # noqa: S603,S607
    wait_for(lambda: answers(f"http://127.0.0.1:{NGINX_PORT}/article.html") == 200, "nginx")
    return process


def article_path(cluster):
    html = urllib.request.urlopen(f"{cluster.varnish_url}/").read().decode()  # noqa: S310
    # The first story card's address on the home page.
    start = html.index('href="/', html.index("<main"))
    return html[start + 6 : html.index('"', start + 6)]


def varnish_versus_nginx(cluster, workdir):
    path = article_path(cluster)
    url = f"{cluster.varnish_url}{path}"
    for _ in range(3):
        with urllib.request.urlopen(url) as page:  # noqa: S310 - loopback
            html = page.read()
    nginx = nginx_serving(html, workdir)
    try:
        static = wrk(f"http://127.0.0.1:{NGINX_PORT}/article.html")
        varnish = wrk(url)
    finally:
        nginx.terminate()
        nginx.wait()
    return {
        "path": path,
        "bytes": len(html),
        "nginx": static,
        "varnish": varnish,
        "ratio": round(varnish["rps"] / static["rps"], 2),
    }


def publish_storm(cluster):
    # Varnish answers each purge with a synthetic response: s_synth counts the purges.
    counters = ("MAIN.cache_hit", "MAIN.cache_miss", "MAIN.backend_req", "MAIN.s_synth")
    prepare = f"from bench.storm import storm_drafts; storm_drafts({STORM_STORIES})"
    made = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", prepare],
        cwd=ROOT,
        env=cluster.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    ids = json.loads(made.stdout.strip().splitlines()[-1])
    publish = f"from bench.storm import storm; storm({ids!r}, {STORM_SECONDS / STORM_STORIES})"
    # Start the publisher first (its start-up is not part of the storm), then read.
    publisher = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", publish],
        cwd=ROOT,
        env=cluster.env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    while (line := publisher.stdout.readline()) and line.strip() != "go":
        pass  # Django's start-up; publishing starts at "go"
    # Readers for exactly as long as the storm lasts (wrk stops and reports on SIGINT).
    before = cluster.varnishstat(*counters)
    reading = subprocess.Popen(  # noqa: S603
        wrk_command(f"{cluster.varnish_url}/", 600), stdout=subprocess.PIPE, text=True
    )
    out, _ = publisher.communicate()
    reading.send_signal(signal.SIGINT)
    results = wrk_result(reading.communicate()[0])
    after = cluster.varnishstat(*counters)
    delta = {k: after[k] - before[k] for k in counters}
    published = json.loads(out.strip().splitlines()[-1])
    lookups = delta["MAIN.cache_hit"] + delta["MAIN.cache_miss"]
    return {
        "published": published["published"],
        "seconds": published["seconds"],
        "reads": results,
        "varnish": delta,
        "hit_rate": round(delta["MAIN.cache_hit"] / lookups, 4) if lookups else None,
        "purges": delta["MAIN.s_synth"],
        "backend_requests_per_purge": round(
            delta["MAIN.backend_req"] / max(1, delta["MAIN.s_synth"]), 2
        ),
    }


def uncached(cluster):
    # A session cookie Django does not know: Varnish passes it, the page cache skips it,
    # so every request is rendered by an application server.
    headers = ["Cookie: sessionid=bench-not-a-session"]
    url = f"{cluster.varnish_url}{article_path(cluster)}"
    two = wrk(url, headers=headers)
    cluster.kill_app(1)
    time.sleep(3)  # the probes mark it sick
    try:
        one = wrk(url, headers=headers)
    finally:
        cluster.start_app(1)
    return {"one_server": one, "two_servers": two, "ratio": round(two["rps"] / one["rps"], 2)}


def main():
    for command in ("wrk", "nginx", "varnishd"):
        if not shutil.which(command):
            raise SystemExit(f"{command} is missing: apt-get install wrk nginx-light varnish")
    cluster = Cluster.attach()
    own = cluster is None
    if own:
        log("Starting the cluster (deploy/cluster.py)...")
        cluster = Cluster(log=log).start()
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-cluster-"))
    workdir.chmod(0o755)  # nginx's workers run as another user
    try:
        log("1/3 cached article: Varnish against nginx (static file)")
        cached = varnish_versus_nginx(cluster, workdir)
        log("2/3 publish storm")
        storm = publish_storm(cluster)
        log("3/3 uncached pages: one application server, then two")
        servers = uncached(cluster)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if own:
            cluster.stop()
    report = {
        "connections": CONNECTIONS,
        "duration": DURATION,
        "cpus": os.cpu_count(),
        "cached": cached,
        "storm": storm,
        "uncached": servers,
    }
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    (results / f"cluster-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(report, indent=2)
    )
    print(table(report))


def table(r):
    def row(label, w):
        return (
            f"{label:<40}{w['rps']:>10}  {w['p50_us'] / 1000:>8.2f} {w['p99_us'] / 1000:>8.2f}"
            f"  {w['errors'] + w['non_2xx_3xx']}"
        )

    cached, storm, uncached = r["cached"], r["storm"], r["uncached"]
    return "\n".join(
        [
            f"Cluster bench: wrk {r['connections']} connections x {r['duration']} s, "
            f"{r['cpus']} CPUs",
            f"{'':<40}{'req/s':>10}  {'p50 ms':>8} {'p99 ms':>8}  errors",
            row("cached article, nginx static file", cached["nginx"]),
            row("cached article, through Varnish", cached["varnish"]),
            f"  Varnish / nginx: {cached['ratio']} (target >= 0.8)",
            row("publish storm: home through Varnish", storm["reads"]),
            f"  {storm['published']} stories in {storm['seconds']} s, {storm['purges']} purges: "
            f"hit rate {storm['hit_rate']}, "
            f"backend requests per purge {storm['backend_requests_per_purge']}",
            row("uncached page, one app server", uncached["one_server"]),
            row("uncached page, two app servers", uncached["two_servers"]),
            f"  two / one: {uncached['ratio']}",
        ]
    )


if __name__ == "__main__":
    main()
