"""Which malloc the server should run on: the release server built without
its own allocator (`--no-default-features`) started under glibc's malloc and
under jemalloc and mimalloc (Debian's libraries, through LD_PRELOAD), and the
server as shipped (mimalloc built in), each measured with wrk on the
anonymous login page and the signed-in tenant page, alternating round by
round. Needs the dataset `bench/run` loads (run it first). Prints rps and
server CPU per request, with ratios against glibc in the same run."""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
import driver  # noqa: E402

LIBS = "/usr/lib/x86_64-linux-gnu"
# name: (binary, preloaded library)
ALLOCATORS = {
    "glibc": ("system", None),
    "jemalloc (preloaded)": ("system", f"{LIBS}/libjemalloc.so.2"),
    "mimalloc (preloaded)": ("system", f"{LIBS}/libmimalloc.so.2"),
    "mimalloc (built in, as shipped)": ("shipped", None),
}
PORT = 3321


def measure(name, binary, preload, seconds):
    env = driver.server_env()
    env["TENANTRY_LISTEN"] = f"127.0.0.1:{PORT}"
    env["TENANTRY_SITE_ROOT"] = os.path.abspath("target/site")
    if preload:
        env["LD_PRELOAD"] = preload
    server = driver.start([driver.BIN[binary], "serve"], env, "server-allocators")
    try:
        driver.wait_healthy(PORT, "/healthz")
        host, cookie = driver.sign_in(PORT)
        pages = {
            "login": {"name": name, "port": PORT, "pids": [server.pid], "paths": ["/login"],
                      "headers": {"Host": host}},
            "tenant page": {"name": name, "port": PORT, "pids": [server.pid], "paths": ["/"],
                            "headers": {"Host": host, "Cookie": cookie}},
        }
        return {page: driver.wrk(side, seconds, 16) for page, side in pages.items()}
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    system_bin, shipped_bin, rounds, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    driver.BIN.update(system=system_bin, shipped=shipped_bin)
    runs = {name: [] for name in ALLOCATORS}
    for _ in range(rounds):
        for name, (binary, preload) in ALLOCATORS.items():
            if preload and not os.path.exists(preload):
                sys.exit(f"bench/allocators: {preload} is missing (apt-get install libjemalloc2 libmimalloc2.0)")
            runs[name].append(measure(name, binary, preload, seconds))
    base = {}
    print("| allocator | page | rps | vs glibc | server CPU ms/req |")
    print("|---|---|---|---|---|")
    for name in ALLOCATORS:
        for page in ("login", "tenant page"):
            rps = statistics.median(r[page]["rps"] for r in runs[name])
            cpu = statistics.median(r[page]["server_cpu_ms_per_req"] for r in runs[name])
            base.setdefault(page, rps)
            print(f"| {name} | {page} | {rps:,.0f} | {rps / base[page]:.2f}x | {cpu:.3f} |")


if __name__ == "__main__":
    main()
