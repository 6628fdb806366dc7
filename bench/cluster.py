"""`make bench-cluster`: the scaled-out topology's numbers, side by side in one run.

1. A cached article through Varnish against nginx serving the same bytes as a static file
   (wrk, BENCH_CONNECTIONS connections): Varnish's requests per second as a share of nginx's.
   nginx serves the file twice: bare (its own few headers), and with the headers Varnish
   delivers for the page (CSP, Cache-Control...), so that both send the same response.
   `--rounds N` repeats the three runs N times, alternating which goes first, with the load
   average before each; the ratios are the medians of the rounds.
2. A publish storm: 50 stories published in 10 s (one every 0.2 s, each purging its keys)
   while wrk reads the home page through Varnish: hit rate, p99, backend requests per purge.
3. Uncached pages (passed by Varnish, rendered by the application) with one application
   server, then two: the requests per second of each and their ratio (same cores).

Runs against `make cluster` when it is up, else starts the cluster itself (deploy/cluster.py).
`--only cached` (or storm, uncached) runs one part. Prints a table and writes
bench/results/cluster-<time>.json.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
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


# Headers nginx makes itself, or that are Varnish's bookkeeping of one response.
OWN_HEADERS = {
    "date",
    "server",
    "content-length",
    "connection",
    "accept-ranges",
    "age",
    "x-varnish",
    "content-type",
    "etag",
}


def process_tree(pid):
    """``pid`` and its descendants (nginx's workers, Varnish's child), from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def cpu_seconds(pids):
    """User and system CPU seconds used so far by ``pids``."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk_costed(url, server_pid):
    """`wrk`, with the CPU time the server (all its processes) and wrk spent per request:
    on a busy machine a steadier measure of what each request costs than requests/s."""
    pids = process_tree(server_pid)
    server, client = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = wrk(url)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = (after.ru_utime + after.ru_stime) - (client.ru_utime + client.ru_stime)
    result["server_cpu_us"] = round(1e6 * (cpu_seconds(pids) - server) / result["requests"], 1)
    result["wrk_cpu_us"] = round(1e6 * spent / result["requests"], 1)
    return result


def nginx_headers(headers):
    """nginx directives sending ``headers`` (the page's, as Varnish delivers them)."""
    lines = []
    for name, value in headers:
        if name.lower() == "content-type":
            lines.append(f'default_type "{value}";')
        elif name.lower() == "etag":
            lines += ["etag off;", f"add_header ETag '{value}' always;"]
        elif name.lower() not in OWN_HEADERS:
            lines.append(f'add_header {name} "{value}" always;')
    return "\n            ".join(lines)


def nginx_serving(html, headers, workdir):
    """nginx on NGINX_PORT serving ``html`` as a static file, at /article.html with its
    own headers and at /page/article.html with ``headers`` too; returns its process."""
    root = workdir / "www"
    (root / "page").mkdir(parents=True)
    (root / "article.html").write_bytes(html)
    (root / "page" / "article.html").write_bytes(html)
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
        location /page/ {{
            {nginx_headers(headers)}
        }}
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


def varnish_pid(cluster):
    """Varnish's manager process (its child, the cache, is counted with it)."""
    if "varnish" in cluster.pids:
        return cluster.pids["varnish"]
    pid = (cluster.dir / "varnish" / "_.pid").read_text().split()[0]
    return int(pid)


def header_bytes(url):
    """The size of the response's status line and headers, as wrk receives them."""
    with urllib.request.urlopen(url) as answer:  # noqa: S310 - loopback
        return len(f"HTTP/1.1 {answer.status} {answer.reason}\r\n") + len(bytes(answer.headers))


def varnish_versus_nginx(cluster, workdir, rounds=1):
    path = article_path(cluster)
    url = f"{cluster.varnish_url}{path}"
    for _ in range(3):
        with urllib.request.urlopen(url) as page:  # noqa: S310 - loopback
            html, headers = page.read(), page.headers.items()
    assert page.headers["X-Cache"] == "hit", "the article is not cached"
    nginx = nginx_serving(html, headers, workdir)
    urls = {
        "nginx": f"http://127.0.0.1:{NGINX_PORT}/article.html",
        "nginx_same_headers": f"http://127.0.0.1:{NGINX_PORT}/page/article.html",
        "varnish": url,
    }
    servers = {"nginx": nginx.pid, "nginx_same_headers": nginx.pid, "varnish": varnish_pid(cluster)}
    runs = []
    try:
        for number in range(rounds):
            # Alternate who goes first: background load drifts within a round too.
            names = list(urls) if number % 2 == 0 else list(reversed(urls))
            run = {"load": [round(x, 2) for x in os.getloadavg()]}
            for name in names:
                run[name] = wrk_costed(urls[name], servers[name])
            run["ratio"] = round(run["varnish"]["rps"] / run["nginx"]["rps"], 2)
            run["ratio_same_headers"] = round(
                run["varnish"]["rps"] / run["nginx_same_headers"]["rps"], 2
            )
            log(
                f"  round {number + 1}: load {run['load'][0]}, req/s (server / wrk CPU us per "
                "request) nginx "
                + ", same headers ".join(
                    f"{run[n]['rps']} ({run[n]['server_cpu_us']} / {run[n]['wrk_cpu_us']})"
                    for n in ("nginx", "nginx_same_headers")
                )
                + f", Varnish {run['varnish']['rps']} ({run['varnish']['server_cpu_us']} / "
                f"{run['varnish']['wrk_cpu_us']}): {run['ratio']} / {run['ratio_same_headers']}"
            )
            runs.append(run)
        sizes = {name: header_bytes(address) for name, address in urls.items()}
    finally:
        nginx.terminate()
        nginx.wait()
    # The round with the median ratio stands for all in the table.
    middle = sorted(runs, key=lambda run: run["ratio"])[len(runs) // 2]
    return {
        "path": path,
        "bytes": len(html),
        "header_bytes": sizes,
        "rounds": runs,
        "nginx": middle["nginx"],
        "nginx_same_headers": middle["nginx_same_headers"],
        "varnish": middle["varnish"],
        "ratio": statistics.median(run["ratio"] for run in runs),
        "ratio_same_headers": statistics.median(run["ratio_same_headers"] for run in runs),
        "cpu_us_per_request": {
            name: {
                side: statistics.median(run[name][f"{side}_cpu_us"] for run in runs)
                for side in ("server", "wrk")
            }
            for name in urls
        },
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


PARTS = ("cached", "storm", "uncached")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PARTS, help="run this part alone")
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds of the cached comparison (default 1)"
    )
    args = parser.parse_args()
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
    report = {"connections": CONNECTIONS, "duration": DURATION, "cpus": os.cpu_count()}
    try:
        if args.only in {None, "cached"}:
            log("cached article: Varnish against nginx (static file)")
            report["cached"] = varnish_versus_nginx(cluster, workdir, args.rounds)
        if args.only in {None, "storm"}:
            log("publish storm")
            report["storm"] = publish_storm(cluster)
        if args.only in {None, "uncached"}:
            log("uncached pages: one application server, then two")
            report["uncached"] = uncached(cluster)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if own:
            cluster.stop()
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

    lines = [
        f"Cluster bench: wrk {r['connections']} connections x {r['duration']} s, {r['cpus']} CPUs",
        f"{'':<40}{'req/s':>10}  {'p50 ms':>8} {'p99 ms':>8}  errors",
    ]
    if cached := r.get("cached"):
        size = cached["header_bytes"]
        lines += [
            row("cached article, nginx static file", cached["nginx"]),
            row("  the same, with the page's headers", cached["nginx_same_headers"]),
            row("cached article, through Varnish", cached["varnish"]),
            f"  header bytes: nginx {size['nginx']}, with the page's headers "
            f"{size['nginx_same_headers']}, Varnish {size['varnish']}",
            f"  Varnish / nginx: {cached['ratio']}, with the same headers "
            f"{cached['ratio_same_headers']} (target >= 0.8; median of "
            f"{len(cached['rounds'])} rounds)",
            "  CPU us per request, server + wrk: "
            + ", ".join(
                f"{name} {cost['server']} + {cost['wrk']}"
                for name, cost in cached["cpu_us_per_request"].items()
            ),
        ]
    if storm := r.get("storm"):
        lines += [
            row("publish storm: home through Varnish", storm["reads"]),
            f"  {storm['published']} stories in {storm['seconds']} s, {storm['purges']} purges: "
            f"hit rate {storm['hit_rate']}, "
            f"backend requests per purge {storm['backend_requests_per_purge']}",
        ]
    if uncached := r.get("uncached"):
        lines += [
            row("uncached page, one app server", uncached["one_server"]),
            row("uncached page, two app servers", uncached["two_servers"]),
            f"  two / one: {uncached['ratio']}",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
