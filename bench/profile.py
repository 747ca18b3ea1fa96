#!/usr/bin/env python3
"""Where the CPU goes, for the sides of pairs a0, a and b (bench/profile).

Run after bench/run (it reuses its dataset). For each side, `perf record`
samples the whole machine while wrk drives the side for a few seconds; the
report splits the samples by process (server, PostgreSQL, wrk, kernel),
lists the hottest symbols of the serving process and of PostgreSQL, and the
serving process's functions with everything they called (bench/profile
builds with frame pointers for that). Writes target/bench/profile.txt.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import driver  # noqa: E402

SECONDS = 6


def perf(label, side, out):
    data = os.path.join("target/bench", f"perf-{label}.data")
    script = driver.LUA.format(
        paths=", ".join(f'"{p}"' for p in side["paths"]),
        headers=", ".join(f'["{k}"] = "{v}"' for k, v in side.get("headers", {}).items()),
        spread=0, method='"GET"', delay_fn="", seed=1)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    subprocess.run(["perf", "record", "-a", "-g", "-F", "499", "-o", data, "--",
                    "wrk", "-t1", "-c32", f"-d{SECONDS}s", "-s", f.name,
                    f"http://127.0.0.1:{side['port']}"],
                   check=True, capture_output=True)
    os.unlink(f.name)
    by_process = subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", "comm", "--stdio", "-q",
         "-g", "none", "--percent-limit", "1"],
        capture_output=True, text=True).stdout
    out.write(f"\n=== {label}: {side['label']} ===\n-- samples by process --\n")
    out.write("\n".join(l for l in by_process.splitlines() if l.strip())[:2000] + "\n")
    for comm in (side["comm"], "postgres"):
        for sort, limit, count in (("dso", "1", 6), ("dso,symbol", "0.6", 14)):
            report = subprocess.run(
                ["perf", "report", "-i", data, "--no-children", "--comm", comm, "--sort", sort,
                 "--stdio", "-q", "-g", "none", "--percent-limit", limit],
                capture_output=True, text=True).stdout
            lines = [re.sub(r"\s+-\s+-\s*$", "", l).rstrip()
                     for l in report.splitlines() if l.strip()][:count]
            out.write(f"-- {comm}: by {sort} --\n" + "\n".join(lines) + "\n")
    # Inclusive: each function with everything it called (frame pointers),
    # the outermost frames left out (every sample has them).
    report = subprocess.run(
        ["perf", "report", "-i", data, "--children", "--comm", side["comm"], "--sort", "symbol",
         "--stdio", "-q", "-g", "none", "--percent-limit", "1.5"],
        capture_output=True, text=True).stdout
    # Only code that does work: not the kernel (by process and DSO above),
    # not the layers of futures every request passes through.
    plumbing = (r"\[k\]|tokio::runtime|start_thread|thread_start|__rust_begin_short_backtrace|"
                r"call_once|axum::|tower::|tower_service::|hyper_util::|futures_util::|"
                r"core::future::|tracing::instrument|Dispatcher<|UpgradeableConnection|"
                r"from_fn::|MapIntoResponse|Oneshot")
    lines = [l.rstrip() for l in report.splitlines()
             if l.strip() and not re.search(plumbing, l)][:40]
    out.write(f"-- {side['comm']}: inclusive --\n" + "\n".join(lines) + "\n")


def main():
    if subprocess.run(["perf", "--version"], capture_output=True).returncode != 0:
        sys.exit("bench/profile: perf is not installed (Debian: linux-perf)")
    bin_dir = sys.argv[1]
    driver.BIN["tenantry"] = os.path.join(bin_dir, "tenantry")
    driver.BIN["peer"] = os.path.join(bin_dir, "tenantry-bench-peer")
    if driver.psql(f"SELECT 1 FROM pg_database WHERE datname = '{driver.DB}'") != "1":
        driver.load_dataset(10, 5)
    env = driver.server_env()
    env["TENANTRY_LISTEN"] = f"127.0.0.1:{driver.SERVER_PORT}"
    env["TENANTRY_SITE_ROOT"] = os.path.abspath("target/site")
    server = driver.start([driver.BIN["tenantry"], "serve"], env, "server-profile")
    driver.wait_healthy(driver.SERVER_PORT, "/healthz")
    host, cookie = driver.sign_in()
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as page:
        page.write(driver.sign_in_page())
    peer_env = dict(env, BENCH_LOGIN_HTML=page.name, BENCH_LISTEN=f"127.0.0.1:{driver.PEER_PORT}",
                    BENCH_RAW_URL=driver.ADMIN.rsplit("/", 1)[0] + "/" + driver.DB)
    peer = driver.start([driver.BIN["peer"]], peer_env, "peer-profile")
    driver.wait_healthy(driver.PEER_PORT, "/rss")
    os.makedirs("target/bench", exist_ok=True)
    try:
        with open("target/bench/profile.txt", "w") as out:
            for label, side in [
                ("b-A", {"label": "raw sqlx, one statement", "port": driver.PEER_PORT,
                         "paths": ["/raw/bench"], "comm": "tokio-rt-worker"}),
                ("b-B", {"label": "TenantDb + SeaORM + RLS", "port": driver.PEER_PORT,
                         "paths": ["/engine/bench"], "comm": "tokio-rt-worker"}),
                ("a0-B", {"label": "SSR floor: the sign-in page, anonymous",
                          "port": driver.SERVER_PORT, "paths": ["/login"],
                          "headers": {"Host": host}, "comm": "tokio-rt-worker"}),
                ("a-B", {"label": "tenant SSR page, session checked", "port": driver.SERVER_PORT,
                         "paths": ["/"], "headers": {"Host": host, "Cookie": cookie},
                         "comm": "tokio-rt-worker"}),
            ]:
                perf(label, side, out)
    finally:
        for proc in (peer, server):
            proc.terminate()
            proc.wait(timeout=10)
        os.unlink(page.name)
    print(open("target/bench/profile.txt").read())


if __name__ == "__main__":
    main()
