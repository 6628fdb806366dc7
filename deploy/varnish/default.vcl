# Varnish 7 in front of Newsroom's application servers (Debian: varnish, varnish-modules).
#
# Anonymous readers get pages from the cache, for as long as the application's
# Surrogate-Control says: never past the next scheduled go-live, embargo lift or expiry.
# Staff, sessions, the admin, previews and every write pass straight to the application.
# The application purges by surrogate key (PURGE_URLS), and only the application servers'
# addresses may purge. While no application server answers, readers get the pages already
# cached (grace); editors get an error page saying their change was not saved.
#
# Purges are soft unless a story left the public site. A soft purge (`Soft-Purge: 1`: an
# edit, a correction, a go-live, any other change) expires the pages but keeps them for
# grace, so a purge the task worker sends during an outage does not turn readers away. While
# an application server answers, an expired page is never served (see vcl_recv). A hard
# purge (no header: a withdrawal, an expiry, a deletion, or anyone's manual purge) drops
# the pages outright: a story readers may no longer see never comes back, not even during
# an outage. So an expiry that falls in a full outage takes the pages that listed the story
# (home, its section, its feeds) out of the cache: readers get "Back in a moment" for those
# until an application server answers, rather than a story past its expiry.
#
# `make cluster` runs this file as it is: Varnish on 127.0.0.1:8240, application servers on
# 8241 and 8242. For a deployment, change the backends and the `purgers` list.
vcl 4.1;

import directors;
import std;
import xkey;

# The application's health check: 200 while it reaches its database, 503 when it does not.
probe healthz {
    .request =
        "GET /healthz HTTP/1.1"
        "Host: 127.0.0.1"
        "Connection: close";
    .interval = 1s;
    .timeout = 2s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

backend app1 {
    .host = "127.0.0.1";
    .port = "8241";
    .probe = healthz;
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
}

backend app2 {
    .host = "127.0.0.1";
    .port = "8242";
    .probe = healthz;
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
}

# Who may purge: the application servers (and the task workers beside them).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_init {
    new app = directors.round_robin();
    app.add_backend(app1);
    app.add_backend(app2);
}

sub vcl_recv {
    set req.backend_hint = app.backend();
    unset req.http.X-Newsroom-Reader;

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (!req.http.Surrogate-Key) {
            return (synth(400, "A purge needs a Surrogate-Key header"));
        }
        if (req.http.Soft-Purge == "1") {
            set req.http.X-Purged = xkey.softpurge(req.http.Surrogate-Key);
        } else {
            set req.http.X-Purged = xkey.purge(req.http.Surrogate-Key);
        }
        return (synth(200, "Purged " + req.http.X-Purged + " objects"));
    }

    # Writes, and everything staff see, are theirs alone.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(admin|preview|ingest|api)(/|$)" || req.url ~ "^/healthz") {
        return (pass);
    }
    if (req.http.Authorization ||
        req.http.Cookie ~ "(^|;\s*)(sessionid|csrftoken|messages)=") {
        return (pass);
    }

    # An anonymous reader: other cookies (analytics) do not change the page.
    unset req.http.Cookie;
    set req.http.X-Newsroom-Reader = "1";
    # Stale pages only while no application server answers (or after a failed fetch, on the
    # restart below); otherwise an expired page is fetched afresh: its lifetime ended at a
    # scheduled change or a soft purge.
    if (req.restarts > 0) {
        # req.grace outlives a restart: lift the limit the first pass set.
        set req.grace = 6h;
    } elsif (std.healthy(req.backend_hint)) {
        set req.grace = 0s;
    }
    return (hash);
}

sub vcl_backend_fetch {
    unset bereq.http.X-Newsroom-Reader;
    # A page kept past its lifetime (a soft purge, grace) is fetched whole, not revalidated:
    # the application's 304 leaves out Surrogate-Control, which sets the new copy's lifetime.
    if (!bereq.uncacheable) {
        unset bereq.http.If-None-Match;
        unset bereq.http.If-Modified-Since;
    }
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    # Only what the application declared storable, for as long as it said. The rest is
    # remembered as "hit-for-miss" for a few seconds: never served, but the next readers of
    # that address fetch at once, side by side, instead of queueing one behind the other
    # for a fetch that cannot be shared (a page rendered while a purge happened says
    # max-age=0, and in a publishing storm that is most renders of the home page).
    if (beresp.status != 200 || !beresp.http.Surrogate-Control ||
        beresp.http.Surrogate-Control !~ "max-age=[0-9]+" ||
        beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(private|no-store|no-cache)") {
        set beresp.ttl = 5s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    set beresp.ttl = std.duration(
        regsub(beresp.http.Surrogate-Control, "^.*max-age=([0-9]+).*$", "\1") + "s", 0s);
    if (beresp.ttl <= 0s) {
        set beresp.ttl = 5s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Kept after its lifetime, and after a soft purge, only for outages (see vcl_recv, whose
    # restarts accept the same six hours).
    set beresp.grace = 6h;
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    # The keys and the application's own cache state are this cache's business, not the
    # browser's: dropped once, as the page is stored, not on every hit.
    unset beresp.http.Surrogate-Control;
    unset beresp.http.Surrogate-Key;
    unset beresp.http.Cache-Tag;
    unset beresp.http.X-Page-Cache;
    return (deliver);
}

sub vcl_backend_error {
    # An application server died between two probes: try the next one.
    if (bereq.retries < 2 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        return (retry);
    }
    set beresp.http.Content-Type = "text/html; charset=utf-8";
    set beresp.http.Retry-After = "30";
    set beresp.http.Cache-Control = "no-store";
    if (bereq.http.Cookie ~ "(^|;\s*)sessionid=" || bereq.url ~ "^/admin(/|$)") {
        synthetic({"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Newsroom is not answering</title></head>
<body><main><h1>Newsroom is not answering</h1>
<p>No application server answered, so nothing was saved or changed.
Keep this page open, wait a minute, then go back and send your change again.</p>
<p>Error "} + beresp.status + " " + beresp.reason + {".</p></main></body></html>
"});
    } else {
        synthetic({"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Back in a moment</title></head>
<body><main><h1>Back in a moment</h1>
<p>This page is not available right now. Please try again in a minute.</p></main></body></html>
"});
    }
    return (deliver);
}

sub vcl_deliver {
    # A reader's fetch failed: look again, this time accepting a page kept for outages.
    if (resp.status >= 500 && req.http.X-Newsroom-Reader && req.restarts == 0) {
        return (restart);
    }
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
    unset resp.http.xkey;
    unset resp.http.Via;
}

sub vcl_synth {
    set resp.http.Cache-Control = "no-store";
}
