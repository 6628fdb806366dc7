"""Newsroom scaled out: Varnish in front of two application servers, a PostgreSQL replica.

Readers go through Varnish; editors through Varnish too (passed to the application). The
cluster is `make cluster`'s, or one started for the run (tests/cluster/conftest.py)."""

import socket
import threading
import time

from .conftest import Editor, Response, restore, run_in_cluster, until

PURGE_SECONDS = 1.0


def warm(reader, paths):
    """Read each page until Varnish serves it from its cache."""
    for path in paths:
        assert until(lambda path=path: reader.get(path).cached, 5), f"{path} never cached"


def shows(reader, path, text):
    page = reader.get(path)
    assert page.status in {200, 404, 410}, (path, page.status)
    return text in page.text


def still_hits(reader, paths):
    return {path: reader.get(path).cached for path in paths}


def test_publish_correct_withdraw_reach_every_page_showing_the_story_within_a_second(
    cluster, reader, editor, stories
):
    draft = stories["draft"]
    showing, elsewhere = stories["showing"], stories["elsewhere"]
    warm(reader, showing + elsewhere)
    assert not any(shows(reader, path, draft["headline"]) for path in showing)

    # Publish through the admin: every page showing the story has it within a second.
    answer = editor.transition(draft["id"], "publish")
    assert answer.status == 302, answer.text[:500]
    for path in showing:
        assert until(lambda path=path: shows(reader, path, draft["headline"]), PURGE_SECONDS), path
    assert still_hits(reader, elsewhere) == dict.fromkeys(elsewhere, True)

    # Correct it through the admin's change form: a new headline and a public correction.
    warm(reader, showing + elsewhere)
    corrected = draft["headline"].replace("ferry", "corrected ferry")
    answer = editor.change(
        draft["id"],
        {"headline": corrected},
        add_inline=("corrections", {"text": "An earlier version gave the wrong ferry."}),
    )
    assert answer.status == 302, answer.text[:2000]
    for path in showing:
        assert until(lambda path=path: shows(reader, path, corrected), PURGE_SECONDS), path
    assert still_hits(reader, elsewhere) == dict.fromkeys(elsewhere, True)

    # Withdraw it: gone from every page within a second; the others keep their hits.
    warm(reader, showing + elsewhere)
    answer = editor.transition(draft["id"], "withdraw", note="Legal advice.")
    assert answer.status == 302, answer.text[:500]
    for path in showing:
        assert until(lambda path=path: not shows(reader, path, corrected), PURGE_SECONDS), path
    assert still_hits(reader, elsewhere) == dict.fromkeys(elsewhere, True)


def test_a_story_scheduled_five_seconds_ahead_appears_at_its_second_with_no_purge(
    cluster, reader, stories
):
    # No worker: its go-live purge cannot help; only the lifetime Varnish was given can.
    cluster.stop_worker()
    scheduled = run_in_cluster(cluster, f"schedule({stories['draft']['id']}, 5)")
    home = "/"
    warm(reader, [home])
    # Each purge Varnish answers is a synthetic response: none may happen meanwhile.
    before = cluster.varnishstat("MAIN.s_synth")
    assert scheduled["headline"] not in reader.get(home).text
    assert until(lambda: time.time() >= scheduled["at"] - 0.3, 10)
    assert scheduled["headline"] not in reader.get(home).text, "shown before its time"
    seen = until(lambda: scheduled["headline"] in reader.get(home).text, 10, step=0.02)
    late = time.time() - scheduled["at"]
    assert seen and late < 1.0, f"appeared {late:.2f} s after its time"
    assert cluster.varnishstat("MAIN.s_synth") == before


def test_one_app_server_killed_no_reader_request_fails(cluster, reader, stories):
    paths = stories["showing"] + stories["elsewhere"]
    warm(reader, paths)
    failures, done = [], threading.Event()

    def read():
        count = 0
        while not done.is_set():
            # Uncached pages too: a fresh query string each time reaches an app server.
            for path in [*paths, f"/search/?q=harbour{count}"]:
                page = reader.get(path)
                if page.status != 200:
                    failures.append((path, page.status))
            count += 1

    thread = threading.Thread(target=read)
    thread.start()
    time.sleep(0.5)
    cluster.kill_app(0)
    time.sleep(4)
    done.set()
    thread.join()
    assert failures == []


def test_both_app_servers_killed_readers_get_cached_pages_editors_an_error(
    cluster, reader, editor, stories
):
    # Pages whose lifetime ends in four seconds, at a scheduled story's go-live. The worker
    # keeps running, and purges the pages showing the story at its go-live, in the outage.
    scheduled = run_in_cluster(cluster, f"schedule({stories['draft']['id']}, 4)")
    paths = stories["showing"] + stories["elsewhere"]
    warm(reader, paths)
    cluster.kill_app(0)
    cluster.kill_app(1)
    # Each purge Varnish answers is a synthetic response.
    before = cluster.varnishstat("MAIN.s_synth")
    assert until(lambda: cluster.varnishstat("MAIN.s_synth") != before, 15), "no purge sent"
    assert until(lambda: time.time() > scheduled["at"] + 3, 10)  # expired, probes sick
    for path in paths:
        page = reader.get(path)
        assert page.status == 200, (path, page.status)
    # An editor's save: a clear error page, nothing pretending it was saved.
    answer = editor.post(f"/admin/articles/article/{stories['draft']['id']}/change/", {"x": "1"})
    assert answer.status == 503
    assert "nothing was saved" in answer.text
    # Both come back: fresh pages again.
    restore(cluster)
    assert until(lambda: scheduled["headline"] in reader.get("/").text, 10)


def test_readers_get_kept_pages_the_moment_both_app_servers_die(cluster, reader, stories):
    paths = stories["showing"] + stories["elsewhere"]
    warm(reader, paths)
    # Every page expires (each carries `site`) but is kept for outages.
    assert purge_from("127.0.0.1", keys="site", soft=True) == "200"
    cluster.kill_app(0)
    cluster.kill_app(1)
    # Before the probes notice: each fetch fails, and the reader gets the kept page.
    pages = {path: reader.get(path).status for path in paths}
    assert cluster.backends_healthy(), "too slow: the probes noticed first"
    assert pages == dict.fromkeys(paths, 200)


def test_a_withdrawn_story_is_not_served_again_when_both_app_servers_die(
    cluster, reader, editor, stories
):
    live = stories["live"]
    showing = [*stories["showing"], live["url"]]
    warm(reader, showing + stories["elsewhere"])
    answer = editor.transition(live["id"], "withdraw", note="Legal advice.")
    assert answer.status == 302, answer.text[:500]
    # No reader fetched the pages again before the outage: only the purged copies remain,
    # and once the probes find no server, Varnish serves what it kept for outages.
    cluster.kill_app(0)
    cluster.kill_app(1)
    assert until(lambda: not cluster.backends_healthy(), 10)
    for path in showing:
        page = reader.get(path)
        assert live["headline"] not in page.text, (path, page.status)
    for path in stories["elsewhere"]:
        assert reader.get(path).status == 200, path


def test_replica_stopped_public_reads_fall_back_to_the_primary_at_once(cluster, reader, stories):
    cluster.pg_stop("replica")
    # Not cached anywhere: a new query string reaches an app server and its database.
    for number in range(4):
        page = reader.get(f"{stories['live']['url']}?fallback={number}")
        assert page.status == 200, page.status
        assert "harbour story" in page.text


def test_replica_lagging_an_editor_sees_their_own_save_at_once(cluster, reader, editor, stories):
    live = stories["live"]
    warm(reader, [live["url"]])
    cluster.replica_sql("SELECT pg_wal_replay_pause()")
    headline = f"Lagging replica {time.time():.0f} harbour story"
    answer = editor.change(live["id"], {"headline": headline})
    assert answer.status == 302, answer.text[:2000]
    assert headline in editor.get(f"/admin/articles/article/{live['id']}/change/").text
    assert headline in editor.get(live["url"]).text
    # A reader too: the replica has not replayed the purge's change, so the primary serves.
    assert headline in reader.get(live["url"]).text


def test_an_anonymous_api_read_uses_the_replica_a_token_client_the_primary(cluster, stories):
    live = stories["live"]
    secret = run_in_cluster(cluster, "api_token()")["secret"]
    lsn = run_in_cluster(cluster, "primary_position()")["lsn"]
    caught_up = f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"
    assert until(lambda: cluster.replica_sql(caught_up) == "t", 10)
    cluster.replica_sql("SELECT pg_wal_replay_pause()")
    headline = f"Unreplayed {time.time():.0f} harbour story"
    run_in_cluster(cluster, f"rename_quietly({live['id']}, {headline!r})")
    url = f"{cluster.varnish_url}/api/v1/articles/{live['id']}/"
    anonymous = Response.fetch(url)
    assert anonymous.status == 200, anonymous.text[:500]
    assert headline not in anonymous.text and "harbour story" in anonymous.text
    token = Response.fetch(url, Authorization=f"Bearer {secret}")
    assert token.status == 200, token.text[:500]
    assert headline in token.text


def test_no_story_a_reader_may_not_see_is_served_or_stored_by_varnish(
    cluster, reader, editor, stories
):
    marker = stories["hidden_marker"]
    paths = [*stories["showing"], stories["live"]["url"], *stories["hidden"].values()]
    # An editor looks at each first (passed, never stored), then readers, twice.
    for path in paths:
        editor.get(path)
    for _ in range(2):
        for path in paths:
            page = reader.get(path)
            assert marker not in page.text, path
            if path in stories["hidden"].values():
                assert page.status in {404, 410} and not page.cached, (path, page.status)
    # The admin and previews are never cached for anyone.
    for path in ["/admin/", f"/admin/articles/article/{stories['draft']['id']}/change/"]:
        assert reader.get(path).headers.get("X-Cache") != "hit"
        assert editor.get(path).headers.get("X-Cache") != "hit"


def purge_from(address, keys="home", soft=False):
    also = "Soft-Purge: 1\r\n" if soft else ""
    request = f"PURGE / HTTP/1.1\r\nHost: 127.0.0.1\r\nSurrogate-Key: {keys}\r\n{also}\r\n"
    with socket.create_connection(("127.0.0.1", 8240), source_address=(address, 0)) as sock:
        sock.sendall(request.encode())
        return sock.recv(200).decode().split()[1]


def test_varnish_takes_purges_only_from_the_application_servers(cluster, reader):
    warm(reader, ["/"])
    assert purge_from("127.0.0.2") == "403"
    assert reader.get("/").cached
    assert purge_from("127.0.0.1") == "200"
    assert not reader.get("/").cached


def test_a_soft_purged_page_that_did_not_change_is_cached_again_at_once(cluster, reader):
    warm(reader, ["/"])
    assert purge_from("127.0.0.1", soft=True) == "200"
    assert not reader.get("/").cached
    assert reader.get("/").cached


def test_a_signed_in_editor_is_never_served_a_cached_page(cluster, reader, stories):
    warm(reader, ["/"])
    other = Editor(cluster.varnish_url)
    assert not other.get("/").cached
    assert Response.fetch(f"{cluster.varnish_url}/healthz").headers.get("X-Cache") != "hit"
