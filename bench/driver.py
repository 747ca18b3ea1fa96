#!/usr/bin/env python3
"""The benchmark driver behind bench/run (standard library only).

Pairs, each side measured in the same run, alternating A B A B ...:
  a0 A: a bare axum handler returning the tenant's sign-in page's bytes
     B: that page rendered by the server: tenant from the in-memory map, no
        session, no database (its round trips are counted: 0): the SSR floor
  a  A: a0's B, the SSR floor
     B: the tenant's project page: tenant resolved, session checked, SSR
  b  A: a tenant's project list, one raw sqlx statement, no RLS (peer /raw)
     B: the same list through the core: TenantDb + SeaORM + RLS (peer /engine)
  c  A: the request of b/B spread over 10 tenants; B: over 10,000 and 100,000
  e2e-api  A: b's B (peer /engine)
     B: GET /api/v1/projects through the real server and its gateway, with an
        API key (Bkey) and with a session (Bsession)
  d  provisioning a pool tenant through the core, its owner invited (peer
     /provision) and, beside it, with the owner's password hashed
  f  server memory per tenant touched (peer RSS growth over pair c / tenants)

For every side: throughput of a closed loop (wrk), CPU per request (server and
PostgreSQL CPU time from /proc over requests), and p50/p99 latency at a fixed,
paced rate of half the pair's lower peak (not a saturating loop).
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from round_trips import WireCounter

PG_HOST = os.environ.get("TENANTRY_TEST_PG_HOST", "127.0.0.1:5432")
ADMIN = os.environ.get("TENANTRY_PG_ADMIN_URL", f"postgres://postgres@{PG_HOST}/postgres")
DB = "tenantry_bench_http"
SERVER_PORT, PEER_PORT = 3301, 3302
# A second server on the same database with metrics off (pair m's A).
UNMETERED_PORT = 3303
PASSWORD = "bench password 1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def psql(sql, db="postgres"):
    url = ADMIN.rsplit("/", 1)[0] + "/" + db
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def load_dataset(tenants, projects_per_tenant):
    """Deterministic: tenant g is slug t<g:06>, id md5('tenantry-bench-<g>')."""
    for name in psql(f"SELECT datname FROM pg_database WHERE starts_with(datname, '{DB}')").split():
        psql(f'DROP DATABASE "{name}" WITH (FORCE)')
    psql(f"CREATE DATABASE {DB} OWNER tenantry_owner")
    env = server_env()
    subprocess.run([BIN["tenantry"], "migrate"], env=env, check=True, capture_output=True)
    # As the superuser: bulk rows skip row-level security, which is the point
    # of loading fast; the server and the peer read them as the runtime role.
    psql(f"""
      SET session_replication_role = replica;  -- no per-row notify triggers: no server runs yet
      INSERT INTO tenants (id, slug, name, state, placement, created_at, updated_at)
        SELECT md5('tenantry-bench-' || g)::uuid, 't' || lpad(g::text, 6, '0'),
               'Tenant ' || g, 'active', 'pool', now(), now()
        FROM generate_series(0, {tenants - 1}) g;
      INSERT INTO tenant_branding (tenant_id, display_name, primary_color, accent_color, updated_at)
        SELECT id, name, '#4f46e5', '#0ea5e9', now() FROM tenants;
      INSERT INTO projects (tenant_id, id, name, created_at, updated_at)
        SELECT t.id, md5(t.slug || '-' || k)::uuid, 'Project ' || k,
               timestamp '2026-01-01' + k * interval '1 minute', now()
        FROM tenants t, generate_series(1, {projects_per_tenant}) k;
      ANALYZE;
    """, DB)
    # The tenant the page pair signs in to: created the normal way.
    subprocess.run([BIN["tenantry"], "tenant", "create", "--slug", "bench", "--name", "Bench",
                    "--admin-email", "owner@bench.test"], env=env, input=PASSWORD + "\n",
                   check=True, capture_output=True, text=True)
    psql(f"""
      INSERT INTO projects (tenant_id, id, name, created_at, updated_at)
        SELECT t.id, md5('bench-' || k)::uuid, 'Project ' || k,
               timestamp '2026-01-01' + k * interval '1 minute', now()
        FROM tenants t, generate_series(1, {projects_per_tenant}) k WHERE t.slug = 'bench';
    """, DB)


def server_env(pg_host=PG_HOST, url_options=""):
    env = dict(os.environ)
    env.update({
        "TENANTRY_DATABASE_URL": f"postgres://tenantry_app@{pg_host}/{DB}{url_options}",
        "TENANTRY_OWNER_DATABASE_URL": f"postgres://tenantry_owner@{pg_host}/{DB}{url_options}",
        "TENANTRY_TENANT_DATABASE_PREFIX": f"{DB}_db_",
        "TENANTRY_LOG": "warn",
        "TENANTRY_POOL_SIZE": "16",
        # Units made ahead only where the signup measurement makes them.
        "TENANTRY_SIGNUP__WARM_UNITS": "0",
    })
    return env


def wait_healthy(port, path):
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"bench: nothing answers on port {port}")


def start(cmd, env, log):
    """Starts `cmd`, its output in target/bench/<log>.log (what a refused
    request was refused for, when a pair reports errors)."""
    os.makedirs("target/bench", exist_ok=True)
    out = open(f"target/bench/{log}.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    proc.log_path = out.name
    return proc


# A server given SIGTERM lets a running job finish for up to its
# `shutdown_grace_secs` (20 by default; a periodic job over the whole fleet
# can take most of that in a debug build): wait past it before calling the
# stop a failure.
STOP_WAIT_SECS = 35


def stop(proc):
    """SIGTERM, then wait for the process to exit; one that outlives the
    server's own grace period is killed and fails the run, with the end of
    its log to say what it was doing."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_WAIT_SECS)
    except subprocess.TimeoutExpired:
        proc.kill()
        with open(proc.log_path) as log:
            tail = "".join(log.readlines()[-20:])
        sys.exit(f"bench: {proc.args} did not stop within {STOP_WAIT_SECS} s of SIGTERM; "
                 f"the end of {proc.log_path}:\n{tail}")


def sign_in(port=SERVER_PORT):
    """A session cookie for the bench tenant's owner, once its page lists the
    projects."""
    host = f"bench.localhost:{port}"
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/session", method="POST",
        data=json.dumps({"email": "owner@bench.test", "password": PASSWORD}).encode(),
        headers={"Host": host, "Origin": f"http://{host}", "Content-Type": "application/json"})
    res = urllib.request.urlopen(req)
    cookie = res.headers["Set-Cookie"].split(";", 1)[0]
    page = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/", headers={"Host": host, "Cookie": cookie}))
    html = page.read().decode()
    if "Project 1" not in html:
        sys.exit("bench: the signed-in page does not list the projects")
    return host, cookie


def sign_in_page(port=SERVER_PORT):
    """The bench tenant's sign-in page as an anonymous visitor gets it."""
    host = f"bench.localhost:{port}"
    page = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/login", headers={"Host": host}))
    html = page.read().decode()
    if "password" not in html.lower():
        sys.exit("bench: the sign-in page has no password field")
    return html


def create_api_key(host, cookie, port=SERVER_PORT):
    """A member key of the bench tenant, created by its owner over the API."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/api-keys", method="POST",
        data=json.dumps({"name": "bench", "role": "member"}).encode(),
        headers={"Host": host, "Origin": f"http://{host}", "Cookie": cookie,
                 "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))["api_key"]["secret"]


def ticks_by_pid(pids):
    ticks = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
        except (FileNotFoundError, ProcessLookupError):
            pass
    return ticks


def cpu_ticks(pids):
    return sum(ticks_by_pid(pids).values())


def ticks_since(before, after):
    """CPU ticks used between two readings, process by process: a process
    that ended meanwhile is left out (its last ticks cannot be read) rather
    than subtracted, and one that started counts from zero."""
    return sum(t - before.get(pid, 0) for pid, t in after.items())


def postgres_pids():
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def wait_idle(pids, quiet_ticks=5, window=1.0, limit=120.0):
    """Waits until `pids` and PostgreSQL together use at most `quiet_ticks`
    (1/100 s each) of CPU in a `window`: the servers' start-up passes over
    every tenant and the autovacuum after the dataset load are done. The
    first pair once ran beside them and reported a floor at a third of its
    speed, with PostgreSQL CPU on a page that sends no statement."""
    started = time.monotonic()
    before = ticks_by_pid(pids + postgres_pids())
    while time.monotonic() - started < limit:
        time.sleep(window)
        after = ticks_by_pid(pids + postgres_pids())
        if ticks_since(before, after) <= quiet_ticks:
            print(f"bench: idle after {time.monotonic() - started:.0f} s", flush=True)
            return
        before = after
    print(f"bench: still busy after {limit:.0f} s; measuring anyway", flush=True)


LUA = """
math.randomseed({seed})  -- a new sequence every run: {{u}} never repeats a slug
local paths = {{ {paths} }}
local headers = {{ {headers} }}
local counter = 0
request = function()
  counter = counter + 1
  local path = paths[math.random(#paths)]
  path = path:gsub("{{n}}", string.format("%06d", math.random(0, {spread})))
  path = path:gsub("{{s}}", string.format("%06d", (counter - 1) % ({spread} + 1)))
  path = path:gsub("{{u}}", tostring(counter) .. "x" .. tostring(math.random(1, 1000000000)))
  return wrk.format({method}, path, headers)
end
local shown = false
response = function(status, headers, body)
  if status >= 300 and not shown then
    shown = true
    io.stderr:write(status .. " " .. body .. "\\n")
  end
end
{delay_fn}
"""


def wrk(side, seconds, connections, rate=None, tolerate_errors=False):
    """Runs wrk against one side; returns rps, latencies (ms) and CPU/request."""
    delay = ""
    if rate:
        # Each connection waits so that all together send `rate` per second,
        # a random wait averaging that interval: fixed waits keep the
        # connections in step, sending bursts of `connections` at once.
        delay = f"delay = function() return math.random() * {2000.0 * connections / rate:.3f} end"
    headers = ", ".join(f'["{k}"] = "{v}"' for k, v in side.get("headers", {}).items())
    script = LUA.format(paths=", ".join(f'"{p}"' for p in side["paths"]), headers=headers,
                        spread=side.get("spread", 0), method=f'"{side.get("method", "GET")}"',
                        seed=int.from_bytes(os.urandom(4), "big"),
                        delay_fn=delay)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    before, pg_before = cpu_ticks(side["pids"]), ticks_by_pid(postgres_pids())
    run = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name,
                          f"http://127.0.0.1:{side['port']}"], capture_output=True, text=True)
    out = run.stdout
    used = cpu_ticks(side["pids"]) - before
    pg_used = ticks_since(pg_before, ticks_by_pid(postgres_pids()))
    os.unlink(f.name)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors and not tolerate_errors:
        sys.exit(f"bench: {side['name']} answered errors (first: {run.stderr.strip()}):\n{out}")
    lat = {}
    for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[pct] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return {
        "errors": int(errors.group(1)) if errors else 0,
        "first_error": run.stderr.strip() if errors else None,
        "rps": requests / seconds,
        "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
        "cpu_ms_per_req": ((used + pg_used) / CLK_TCK * 1000.0) / max(requests, 1),
        "server_cpu_ms_per_req": (used / CLK_TCK * 1000.0) / max(requests, 1),
        "pg_cpu_ms_per_req": (pg_used / CLK_TCK * 1000.0) / max(requests, 1),
    }


def measure_pair(name, sides, rounds, seconds):
    """Peak (closed loop) for every side, alternating; then latency at a paced
    rate of half the lowest peak, alternating again."""
    peak = {s["name"]: [] for s in sides}
    for _ in range(rounds):
        for side in sides:
            r = wrk(side, seconds, 32)
            peak[side["name"]].append(r)
    lowest = min(statistics.median(x["rps"] for x in runs) for runs in peak.values())
    rate = max(lowest / 2, 10)
    paced = {s["name"]: [] for s in sides}
    for _ in range(rounds):
        for side in sides:
            paced[side["name"]].append(wrk(side, seconds, 16, rate=rate))
    result = {"pair": name, "paced_rate": round(rate), "sides": {}}
    for side in sides:
        n = side["name"]
        result["sides"][n] = {
            "label": side["label"],
            "rps": statistics.median(r["rps"] for r in peak[n]),
            "cpu_ms_per_req": statistics.median(r["cpu_ms_per_req"] for r in peak[n]),
            "server_cpu_ms_per_req": statistics.median(r["server_cpu_ms_per_req"] for r in peak[n]),
            "pg_cpu_ms_per_req": statistics.median(r["pg_cpu_ms_per_req"] for r in peak[n]),
            "p50_ms": statistics.median(r["p50_ms"] for r in paced[n]),
            "p99_ms": statistics.median(r["p99_ms"] for r in paced[n]),
            "rounds": len(peak[n]),
        }
    return result


COUNTED_SERVER_PORT, COUNTED_PEER_PORT = 3311, 3312


def get(port, path, headers=None, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 headers=headers or {})
    with urllib.request.urlopen(req) as res:
        res.read()


def per_request(counter, requests, warm=10):
    """Round trips and statements per request over `requests` (callables),
    after the first `warm` of them (all: None) have warmed caches and pools."""
    for call in requests[:warm]:
        call()
    rt0, st0 = counter.snapshot()
    for call in requests:
        call()
    rt1, st1 = counter.snapshot()
    n = len(requests)
    return {"round_trips_per_req": (rt1 - rt0) / n, "statements_per_req": (st1 - st0) / n}


def count_round_trips(login_path, sizes, requests, api_key):
    """A second peer, then a second server, whose database connections pass
    through the counting proxy (bench/round_trips.py); each side's request is
    sent `requests` times one after another and the wire is read per request.
    The peer's sides are counted while no server runs (the server's own
    background work would be counted with them); the server polls for
    webhook work hourly instead of every second, and is measured once its
    start-up passes are over. The timed sides above connect directly: the
    proxy would slow them."""
    host, port = PG_HOST.rsplit(":", 1)
    counter = WireCounter(host, port)
    via = f"127.0.0.1:{counter.port}"
    # Without TLS: the proxy reads the bytes.
    env = server_env(via, "?sslmode=disable")
    env["TENANTRY_LISTEN"] = f"127.0.0.1:{COUNTED_SERVER_PORT}"
    env["TENANTRY_SITE_ROOT"] = os.path.abspath("target/site")
    n = requests
    peer_port, srv = COUNTED_PEER_PORT, COUNTED_SERVER_PORT
    counts = {("a0", "A"): {"round_trips_per_req": 0.0, "statements_per_req": 0.0}}
    peer = start([BIN["peer"]], dict(env, BENCH_LOGIN_HTML=login_path,
                                     BENCH_LISTEN=f"127.0.0.1:{COUNTED_PEER_PORT}",
                                     BENCH_RAW_URL=f"postgres://postgres@{via}/{DB}?sslmode=disable"), "peer-counted")
    try:
        wait_healthy(COUNTED_PEER_PORT, "/rss")
        counts[("b", "A")] = per_request(counter, [lambda: get(peer_port, "/raw/bench")] * n)
        counts[("b", "B")] = per_request(counter, [lambda: get(peer_port, "/engine/bench")] * n)
        counts[("e2e-api", "A")] = counts[("b", "B")]
        for side, path in (("invited", "provision"), ("password", "provision-with-password")):
            counts[("d", side)] = per_request(counter, [
                (lambda i=i: get(peer_port, f"/{path}/rt{i}x{time.time_ns()}", method="POST"))
                for i in range(max(n // 10, 10))])
        for i, size in enumerate(sizes):
            side = "A" if i == 0 else f"B{size}"
            # Every tenant visited once first, as the timed pair does.
            counts[("c", side)] = per_request(counter, [
                (lambda t=(k * 7919) % size: get(peer_port, f"/engine/t{t:06d}")) for k in range(n)],
                warm=None)
        deep = f"t{sizes[-1] - 100:06d}"
        for side, path in (("A", "/tenant-page?sort=newest"),
                           ("Bdeep", f"/tenant-page?sort=slug&after={deep}"),
                           ("Bsearch", "/tenant-page?sort=slug&q=TENANT%2099")):
            counts[("console", side)] = per_request(
                counter, [lambda path=path: get(peer_port, path)] * n)
    finally:
        stop(peer)
    server = start([BIN["tenantry"], "serve"], dict(env, TENANTRY_WEBHOOK_POLL_MS="3600000"),
                   "server-counted")
    try:
        wait_healthy(COUNTED_SERVER_PORT, "/healthz")
        host, cookie = sign_in(COUNTED_SERVER_PORT)
        signed = {"Host": host, "Cookie": cookie}
        counter.wait_quiet()
        counts[("a0", "B")] = per_request(counter, [lambda: get(srv, "/login", {"Host": host})] * n)
        counts[("a", "A")] = counts[("a0", "B")]
        counts[("a", "B")] = per_request(counter, [lambda: get(srv, "/", signed)] * n)
        # Metrics add no database work: both sides of m count as a's B.
        counts[("m", "A")] = counts[("m", "B")] = counts[("a", "B")]
        keyed = {"Host": host, "Authorization": f"Bearer {api_key}"}
        counts[("e2e-api", "Bkey")] = per_request(
            counter, [lambda: get(srv, "/api/v1/projects", keyed)] * n)
        counts[("e2e-api", "Bsession")] = per_request(
            counter, [lambda: get(srv, "/api/v1/projects", signed)] * n)
    finally:
        stop(server)
    return counts


def rss_kb():
    return int(urllib.request.urlopen(f"http://127.0.0.1:{PEER_PORT}/rss").read() or 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", default="release")
    # The largest dataset, in tenants: with --quick, `--fleet 100000` measures
    # the 100,000-tenant rows (the console list, pair c) in a short run.
    parser.add_argument("--fleet", type=int)
    args = parser.parse_args()
    BIN["tenantry"] = os.path.join(args.bin_dir, "tenantry")
    BIN["peer"] = os.path.join(args.bin_dir, "tenantry-bench-peer")
    rounds, seconds = (1, 2) if args.quick else (3, 10)
    counted_requests = 50 if args.quick else 500
    sizes = [10, 1_000] if args.quick else [10, 10_000, 100_000]
    if args.fleet:
        sizes = sorted({10, args.fleet})
    projects = 5
    print(f"bench: loading {sizes[-1]:,} tenants x {projects} projects", flush=True)
    load_dataset(sizes[-1], projects)

    env = server_env()
    env["TENANTRY_LISTEN"] = f"127.0.0.1:{SERVER_PORT}"
    env["TENANTRY_SITE_ROOT"] = os.path.abspath("target/site")
    server = start([BIN["tenantry"], "serve"], env, "server")
    wait_healthy(SERVER_PORT, "/healthz")
    host, cookie = sign_in()
    api_key = create_api_key(host, cookie)
    login_file = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)
    login_file.write(sign_in_page())
    login_file.close()
    peer_env = dict(env, BENCH_LOGIN_HTML=login_file.name,
                    BENCH_LISTEN=f"127.0.0.1:{PEER_PORT}",
                    BENCH_RAW_URL=ADMIN.rsplit("/", 1)[0] + "/" + DB)
    peer = start([BIN["peer"]], peer_env, "peer")
    wait_healthy(PEER_PORT, "/rss")
    unmetered = start([BIN["tenantry"], "serve"],
                      dict(env, TENANTRY_LISTEN=f"127.0.0.1:{UNMETERED_PORT}",
                           TENANTRY_OBSERVABILITY__METRICS="false"), "server-unmetered")
    wait_healthy(UNMETERED_PORT, "/healthz")

    try:
        s, p = [server.pid], [peer.pid]
        wait_idle(s + p + [unmetered.pid])
        results = []
        floor = {"name": "A", "label": "SSR floor: sign-in page, tenant from memory, no session",
                 "port": SERVER_PORT, "pids": s, "paths": ["/login"], "headers": {"Host": host}}
        results.append(measure_pair("a0", [
            {"name": "A", "label": "bare axum, the sign-in page's bytes", "port": PEER_PORT,
             "pids": p, "paths": ["/static/login"]},
            dict(floor, name="B"),
        ], rounds, seconds))
        results.append(measure_pair("a", [
            floor,
            {"name": "B", "label": "tenant SSR page, session checked", "port": SERVER_PORT, "pids": s,
             "paths": ["/"], "headers": {"Host": host, "Cookie": cookie}},
        ], rounds, seconds))
        # What metrics cost a request: the same signed-in page from a server
        # that records nothing, and from one that counts everything
        # (requests, CPU, database work, the cost book and its flushes).
        results.append(measure_pair("m", [
            {"name": "A", "label": "tenant SSR page, metrics off", "port": UNMETERED_PORT,
             "pids": [unmetered.pid], "paths": ["/"], "headers": {"Host": host, "Cookie": cookie}},
            {"name": "B", "label": "tenant SSR page, metrics on", "port": SERVER_PORT, "pids": s,
             "paths": ["/"], "headers": {"Host": host, "Cookie": cookie}},
        ], rounds, seconds))
        # Its connections back to PostgreSQL for the pairs after it (the
        # round-trip count starts two more servers).
        stop(unmetered)
        results.append(measure_pair("b", [
            {"name": "A", "label": "raw sqlx, one statement, no RLS", "port": PEER_PORT, "pids": p,
             "paths": ["/raw/bench"]},
            {"name": "B", "label": "TenantDb + SeaORM + RLS", "port": PEER_PORT, "pids": p,
             "paths": ["/engine/bench"]},
        ], rounds, seconds))
        rss_before = rss_kb()
        # Steady state, as a warm server would be: every tenant visited once
        # (in order) before pair c measures.
        warm = {"name": "warm", "port": PEER_PORT, "pids": p, "paths": ["/engine/t{s}"],
                "spread": sizes[-1] - 1}
        wrk(warm, max(2, sizes[-1] // 2500 + 2), 8)
        c_sides = []
        for i, n in enumerate(sizes):
            # wrk's Lua fills {n} with a zero-padded tenant number below n.
            c_sides.append({"name": "A" if i == 0 else f"B{n}", "label": f"{n:,} tenants",
                            "port": PEER_PORT, "pids": p, "paths": ["/engine/t{n}"],
                            "spread": n - 1})
        results.append(measure_pair("c", c_sides, rounds, seconds))
        rss_after = rss_kb()
        results.append(measure_pair("e2e-api", [
            {"name": "A", "label": "peer /engine list (b's B)", "port": PEER_PORT, "pids": p,
             "paths": ["/engine/bench"]},
            {"name": "Bkey", "label": "GET /api/v1/projects, API key", "port": SERVER_PORT,
             "pids": s, "paths": ["/api/v1/projects"],
             "headers": {"Host": host, "Authorization": f"Bearer {api_key}"}},
            {"name": "Bsession", "label": "GET /api/v1/projects, session", "port": SERVER_PORT,
             "pids": s, "paths": ["/api/v1/projects"], "headers": {"Host": host, "Cookie": cookie}},
        ], rounds, seconds))
        # The console's tenant list over the whole fleet: the first page,
        # a page deep into it by slug (keyset), and a search by part of a
        # name in any case (trigram indexes).
        deep = f"t{sizes[-1] - 100:06d}"
        results.append(measure_pair("console", [
            {"name": "A", "label": f"first page of {sizes[-1]:,}, newest", "port": PEER_PORT,
             "pids": p, "paths": ["/tenant-page?sort=newest"]},
            {"name": "Bdeep", "label": f"page after {deep}, by slug", "port": PEER_PORT,
             "pids": p, "paths": [f"/tenant-page?sort=slug&after={deep}"]},
            {"name": "Bsearch", "label": "search 'TENANT 99', by slug", "port": PEER_PORT,
             "pids": p, "paths": ["/tenant-page?sort=slug&q=TENANT%2099"]},
        ], rounds, seconds))
        provision = measure_pair("d", [
            {"name": "invited", "label": "pool tenant, owner invited", "port": PEER_PORT,
             "pids": p, "method": "POST", "paths": ["/provision/pv{u}"]},
            {"name": "password", "label": "pool tenant, owner's password hashed",
             "port": PEER_PORT, "pids": p, "method": "POST",
             "paths": ["/provision-with-password/pw{u}"]},
        ], rounds, seconds)
        signups = measure_signups(3 if args.quick else 20)
        touched = sizes[-1]
        counts = count_round_trips(login_file.name, sizes, counted_requests, api_key)
        for pair in results + [provision]:
            for name, side in pair["sides"].items():
                side.update(counts[(pair["pair"], name)])
        summary = {
            "machine": machine(),
            "quick": args.quick,
            "profile": args.profile,
            "pairs": results,
            "d_provision": provision,
            "signup": signups,
            "f_memory": {"rss_growth_kb": rss_after - rss_before, "tenants": touched,
                         "kb_per_tenant": (rss_after - rss_before) / touched},
        }
    finally:
        for proc in (peer, server, unmetered):
            stop(proc)
        os.unlink(login_file.name)
    report(summary)


def measure_signups(count):
    """Self-serve signups one after another, from the form to the tenant
    open, per placement, with and without a unit made ahead (the pool needs
    none): p50 and p99 in ms (`POST /signup-latency` on the peer)."""
    out = []
    for placement, warm in [("pool", "cold"), ("schema", "cold"), ("schema", "warm"),
                            ("database", "cold"), ("database", "warm")]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{PEER_PORT}/signup-latency/{placement}/{warm}/{count}",
            method="POST")
        with urllib.request.urlopen(req, timeout=600) as res:
            millis = sorted(json.load(res))
        pick = lambda q: millis[min(len(millis) - 1, int(q * len(millis)))]
        out.append({"placement": placement, "unit": "warm unit" if warm == "warm" else "no warm unit",
                    "signups": len(millis), "p50_ms": pick(0.5), "p99_ms": pick(0.99)})
        print(f"signup {placement} ({out[-1]['unit']}): p50 {out[-1]['p50_ms']:.1f} ms, "
              f"p99 {out[-1]['p99_ms']:.1f} ms over {len(millis)}", flush=True)
    return out


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu,
            "postgres": psql("SHOW server_version"), "date": time.strftime("%Y-%m-%d")}


def report(summary):
    rows = []
    if summary["profile"] != "release":
        print(f"bench: a {summary['profile']} build: the harness ran, the figures mean nothing")
    for pair in summary["pairs"]:
        a = pair["sides"]["A"]
        for name, side in pair["sides"].items():
            ratio = "" if name == "A" else f"{side['rps'] / a['rps']:.2f}x"
            p99 = "" if name == "A" else f"{side['p99_ms'] / a['p99_ms']:.2f}x"
            cpu = f"{side['cpu_ms_per_req']:.3f} ({side['server_cpu_ms_per_req']:.3f} + {side['pg_cpu_ms_per_req']:.3f})"
            wire = f"{side['round_trips_per_req']:.2f} ({side['statements_per_req']:.2f})"
            rows.append((pair["pair"], name, side["label"], f"{side['rps']:,.0f}", ratio,
                         cpu, f"{side['p50_ms']:.2f}", f"{side['p99_ms']:.2f}",
                         p99, str(pair["paced_rate"]), wire))
    head = ("pair", "side", "what", "rps", "B/A rps", "CPU ms/req (server + PG)", "p50 ms", "p99 ms",
            "B/A p99", "paced at", "DB round trips/req (statements)")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(v).ljust(w) for v, w in zip(r, widths)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    d, f = summary["d_provision"], summary["f_memory"]
    for name, side in d["sides"].items():
        print(f"d {name}: provisioning a {side['label']}: {side['rps']:,.0f}/s peak; "
              f"p50 {side['p50_ms']:.1f} ms, p99 {side['p99_ms']:.1f} ms paced at {d['paced_rate']}/s; "
              f"{side['round_trips_per_req']:.1f} round trips ({side['statements_per_req']:.1f} statements)")
    for row in summary["signup"]:
        print(f"signup {row['placement']}, {row['unit']}: p50 {row['p50_ms']:.1f} ms, "
              f"p99 {row['p99_ms']:.1f} ms ({row['signups']} signups, form to open)")
    print(f"f: server memory per tenant touched: {f['kb_per_tenant']:.3f} KB "
          f"({f['rss_growth_kb']} KB over {f['tenants']:,} tenants)")
    m = summary["machine"]
    print(f"machine: {m['cpus']} CPUs, {m['cpu']}, PostgreSQL {m['postgres']}, {m['date']}")
    os.makedirs("target/bench", exist_ok=True)
    with open("target/bench/results.json", "w") as out:
        json.dump(summary, out, indent=2)
    print("wrote target/bench/results.json")


BIN = {}

if __name__ == "__main__":
    main()
