#!/usr/bin/env python3
"""pflow benchmarks: wall time against the critical path, client CPU, memory.

Builds release binaries, starts pflow-mock-server (release) on a free loopback port,
generates the workflows each shape needs, runs every shape several times, prints a table
and writes it to bench/results.md. The ratio to the ideal (the critical path) is the
figure of merit; nothing here asserts a time, and `make test` runs none of it.

Shapes: a fan-out of N branches plus one synthesis over all their outputs (200 ms per
request), over http and over https (the server with a certificate from a CA made for the
bench and trusted through the provider's `ca_file`, HTTP/2 by ALPN; `transport: urlsession`
cannot be measured here, since FoundationNetworking trusts only the system CA bundle), a chain of 50 steps of 20 ms, 20 lanes of 5 steps, the same fan-outs on the
in-process mock at 0 ms (the engine's own overhead), `pflow validate` and `pflow plan` on
a 1,000-step workflow, and the mock server alone (its CPU per request).
"""
import argparse
import asyncio
import json
import os
import ssl
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, ".build", "release")
TMPFS = "/dev/shm"


def build():
    for product in ("pflow", "pflow-mock-server"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_certificates(binary, folder):
    """A CA and a server certificate for 127.0.0.1, made now by the mock server (no key is committed)."""
    out = subprocess.run([binary, "--write-test-certificates", folder], check=True, capture_output=True, text=True)
    paths = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    return {"ca.pem": paths["ca"], "server.pem": paths["server-certificate"], "server.key": paths["server-key"]}


class MockServer:
    """pflow-mock-server as a child process; its counters say what it saw."""

    def __init__(self, binary, latency_ms, tls=None):
        tls_args = ["--tls", tls["server.pem"], tls["server.key"]] if tls else []
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--latency", f"{latency_ms}ms"] + tls_args,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"mock server did not start: {line!r}")
        self.address = line.split()[-1]
        self.scheme = "https" if tls else "http"
        self.ca_file = tls["ca.pem"] if tls else None
        self.context = ssl.create_default_context(cafile=self.ca_file) if tls else None

    def call(self, path, method="GET"):
        req = urllib.request.Request(f"{self.scheme}://{self.address}{path}", method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=30, context=self.context) as r:
            body = r.read()
        return json.loads(body) if body else {}

    def cpu_seconds(self):
        return process_cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- workflows

def provider_block(server):
    if server is None:
        return "providers:\n  p: { kind: mock, latency: 0ms }\n"
    extra = f", ca_file: '{server.ca_file}'" if server.ca_file else ""
    return (f"providers:\n  p: {{ kind: openai, model: bench, "
            f"base_url: '{server.scheme}://{server.address}/v1'{extra} }}\n")


def header(name, server, run_concurrency):
    return (f"version: 1\nname: {name}\n" + provider_block(server) +
            "defaults: { provider: p, timeout: 60s, retries: 0, max_tokens: 64 }\n"
            f"max_concurrency: {run_concurrency}\n")


def fanout(n, server, run_concurrency):
    """A map over N items and a synthesis that quotes every branch's output."""
    items = "\n".join(f"          - item{i}" for i in range(n))
    return header(f"fanout-{n}", server, run_concurrency) + (
        "steps:\n"
        "  - map:\n"
        "      id: fan\n"
        "      over:\n"
        "        items:\n" + items + "\n"
        "      as: it\n"
        "      step:\n"
        "        prompt: \"Answer briefly about {{ it }}.\"\n"
        "  - id: synthesis\n"
        "    prompt: \"Merge these answers.\\n{{ steps.fan.outputs }}\\nMissing: {{ steps.fan.failed }}\"\n"
        "output: synthesis\n")


def chain(n, latency_ms, server):
    lines = ["steps:"]
    for i in range(n):
        lines += [f"  - id: s{i}", f"    prompt: \"[mock:latency={latency_ms}ms] step {i}\""]
    return header(f"chain-{n}", server, 64) + "\n".join(lines) + "\n"


def lanes(width, depth, server):
    lines = ["steps:", "  - parallel:", "      id: lanes", "      steps:"]
    for w in range(width):
        lines += ["        - sequence:", f"            id: lane{w}", "            steps:"]
        for d in range(depth):
            lines += [f"              - id: l{w}_{d}", f"                prompt: \"lane {w} step {d}\""]
    return header(f"lanes-{width}x{depth}", server, 1000) + "\n".join(lines) + "\n"


def wide_static(n):
    """1,000 explicit steps (a parallel block of chains), for validate and plan."""
    lines = ["steps:", "  - parallel:", "      id: block", "      steps:"]
    per_lane = 10
    for w in range(n // per_lane):
        lines += ["        - sequence:", f"            id: lane{w}", "            steps:"]
        for d in range(per_lane):
            ref = f" after {{{{ steps.s{w}_{d - 1}.output }}}}" if d else ""
            lines += [f"              - id: s{w}_{d}", f"                prompt: \"step {w}.{d}{ref}\""]
    lines += ["  - id: synthesis", "    prompt: \"Merge {{ steps.block.outputs }}\"", "output: synthesis"]
    return header(f"static-{n}", None, 64) + "\n".join(lines) + "\n"


# ---------------------------------------------------------------- measuring

def timed(argv, tmp):
    """Runs argv; returns wall seconds, CPU seconds (user+sys) and peak RSS in MB."""
    err_path = os.path.join(tmp, "stderr.txt")
    with open(err_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(err_path, errors="replace") as f:
            raise RuntimeError(f"{' '.join(argv)} exited {code}: {f.read()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def measure(label, yaml_text, ideal, branches, repeats, server, tmp, pflow, runs_root=None):
    path = os.path.join(tmp, "workflow.yaml")
    with open(path, "w") as f:
        f.write(yaml_text)
    runs = os.path.join(runs_root or tmp, "pflow-bench-runs")
    walls, cpus, rsss, peaks, server_cpu = [], [], [], [], []
    for _ in range(repeats):
        if server:
            server.call("/_reset", method="POST")
            s0 = server.cpu_seconds()
        wall, cpu, rss = timed([pflow, "run", path, "--out", runs, "--quiet"], tmp)
        walls.append(wall)
        cpus.append(cpu)
        rsss.append(rss)
        if server:
            peaks.append(server.call("/_stats").get("peak_in_flight", 0))
            server_cpu.append(server.cpu_seconds() - s0)
        # Run directories stay until the bench ends: ext4 skips inodes freed in the last
        # 60 to 300 s when it allocates new ones (recently_deleted in ialloc.c), so deleting
        # 20,000 files here made every later run pay up to 0.4 ms of kernel CPU per file.
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    row = {
        "shape": label, "branches": branches, "ideal": ideal, "wall": wall,
        "ratio": wall / ideal if ideal else None, "cpu": cpu, "cpu_per_branch_ms": cpu / branches * 1000,
        "rss_mb": max(rsss), "peak": max(peaks) if peaks else None,
        "server_cpu": statistics.median(server_cpu) if server_cpu else None,
        "walls": walls,
    }
    print(format_row(row), flush=True)
    return row


async def drive_server(address, requests, connections):
    """Keep-alive POSTs from asyncio streams: a client far cheaper than the server it drives."""
    host, port = address.rsplit(":", 1)
    body = json.dumps({"model": "bench", "max_tokens": 64,
                       "messages": [{"role": "user", "content": "Answer briefly about item."}]}).encode()
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    remaining = [requests]

    async def worker():
        reader, writer = await asyncio.open_connection(host, int(port))
        while remaining[0] > 0:
            remaining[0] -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


def measure_server_alone(binary, requests=4000, connections=50):
    server = MockServer(binary, latency_ms=0)
    try:
        asyncio.run(drive_server(server.address, 200, 10))  # warm up
        c0, t0 = server.cpu_seconds(), time.monotonic()
        asyncio.run(drive_server(server.address, requests, connections))
        wall = time.monotonic() - t0
        cpu = server.cpu_seconds() - c0
    finally:
        server.stop()
    return {"requests": requests, "connections": connections, "wall": wall, "cpu": cpu,
            "cpu_per_request_ms": cpu / requests * 1000}


def measure_front_end(pflow, tmp, repeats):
    path = os.path.join(tmp, "static.yaml")
    with open(path, "w") as f:
        f.write(wide_static(1000))
    rows = []
    for command in ("validate", "plan"):
        samples = [timed([pflow, command, path], tmp) for _ in range(max(repeats, 5))]
        rows.append({"command": f"pflow {command}", "wall": statistics.median(s[0] for s in samples),
                     "cpu": statistics.median(s[1] for s in samples), "rss_mb": max(s[2] for s in samples)})
    return rows


# ---------------------------------------------------------------- output

COLUMNS = ("| shape | branches | ideal s | median wall s | wall/ideal | client CPU s | CPU/branch ms "
           "| peak RSS MB | server peak in flight | server CPU s |")


def format_row(r):
    def f(v, spec):
        return "—" if v is None else format(v, spec)
    return (f"| {r['shape']} | {r['branches']} | {f(r['ideal'], '.2f')} | {f(r['wall'], '.3f')} | "
            f"{f(r['ratio'], '.2f')} | {f(r['cpu'], '.3f')} | {f(r['cpu_per_branch_ms'], '.3f')} | "
            f"{f(r['rss_mb'], '.1f')} | {f(r['peak'], 'd')} | {f(r['server_cpu'], '.3f')} |")


def report(args, rows, engine_rows, front_rows, alone):
    separator = "|" + "---|" * (COLUMNS.count(" | ") + 1)
    lines = [
        "# Benchmark results", "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}. "
        f"Median of {args.repeats} runs (peak RSS: the largest). Generated by `make bench` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Load average (1 min) at the start "
        f"{args.load_before:.1f}, at the end {os.getloadavg()[0]:.1f}: other work on these cores moves every figure.",
        "pflow and pflow-mock-server share these cores: the server's CPU is time the client could not use.",
        "Run directories are written under .build/ (the disk a user's runs/ is on), and, where marked, on tmpfs "
        "(/dev/shm) to show what creating two files per step costs.", "",
        "## Against pflow-mock-server on 127.0.0.1", "",
        "Ideal: the critical path (requests × latency along the longest chain; with a run limit, the waves).", "",
        COLUMNS, separator] + [format_row(r) for r in rows] + [
        "", "## Engine overhead: in-process mock provider at 0 ms", "",
        "| shape | steps | median wall s | steps/s | client CPU s | CPU/step ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|"] + [
        f"| {r['shape']} | {r['branches']} | {r['wall']:.3f} | {r['branches'] / r['wall']:.0f} | {r['cpu']:.3f} | "
        f"{r['cpu_per_branch_ms']:.3f} | {r['rss_mb']:.1f} |" for r in engine_rows] + [
        "", "## Front end: a 1,000-step workflow, process start included", "",
        "| command | median wall ms | CPU ms | peak RSS MB |", "|---|---|---|---|"] + [
        f"| {r['command']} | {r['wall'] * 1000:.0f} | {r['cpu'] * 1000:.0f} | {r['rss_mb']:.1f} |" for r in front_rows] + [
        "", "## pflow-mock-server alone (0 ms latency, keep-alive asyncio client in another process)", "",
        f"{alone['requests']} requests over {alone['connections']} connections in {alone['wall']:.2f} s: "
        f"server CPU {alone['cpu']:.2f} s, **{alone['cpu_per_request_ms']:.3f} ms per request**.", ""]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-branch shapes")
    ap.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    ap.add_argument("--pflow", default=os.path.join(RELEASE, "pflow"), help="the pflow binary to measure")
    ap.add_argument("--output", default=os.path.join(ROOT, "bench", "results.md"))
    args = ap.parse_args()
    args.load_before = os.getloadavg()[0]
    if not args.no_build:
        build()
    server_binary = os.path.join(RELEASE, "pflow-mock-server")
    # Run directories go beside the checkout, on the disk a user's runs/ would be on.
    tmp = tempfile.mkdtemp(prefix="pflow-bench-", dir=os.path.join(ROOT, ".build"))
    memory = tempfile.mkdtemp(prefix="pflow-bench-", dir=TMPFS) if os.path.isdir(TMPFS) else None
    started = time.monotonic()
    try:
        print(COLUMNS)
        print("|" + "---|" * (COLUMNS.count(" | ") + 1), flush=True)
        rows = []
        def fanouts(server, prefix, sizes, runs_root=None, where=""):
            for n in sizes:
                limit = 2000 if n == 10000 else 10000
                rows.append(measure(f"{prefix}fan-out {n} + synthesis{where}", fanout(n, server, limit),
                                    0.2 * -(-n // limit) + 0.2, n + 1, args.repeats, server, tmp, args.pflow,
                                    runs_root=runs_root))

        wide = [] if args.quick else [10000]
        server = MockServer(server_binary, latency_ms=200)
        try:
            fanouts(server, "", [10, 100, 1000] + wide)
            rows.append(measure("chain 50 × 20 ms", chain(50, 20, server), 1.0, 50, args.repeats, server, tmp,
                                args.pflow))
            rows.append(measure("20 lanes × 5 steps", lanes(20, 5, server), 1.0, 100, args.repeats, server, tmp,
                                args.pflow))
            # The same fan-outs with the run directory in memory: what the disk costs.
            if memory:
                fanouts(server, "", [1000] + wide, runs_root=memory, where=", runs on tmpfs")
        finally:
            server.stop()
        # The same fan-outs over https: what every hosted API costs on top of the network.
        certificates = make_certificates(server_binary, tempfile.mkdtemp(prefix="certs-", dir=tmp))
        server = MockServer(server_binary, latency_ms=200, tls=certificates)
        try:
            fanouts(server, "https: ", [10, 100, 1000] + wide)
            if memory:
                fanouts(server, "https: ", [1000] + wide, runs_root=memory, where=", runs on tmpfs")
        finally:
            server.stop()
        engine_rows = [measure(f"fan-out {n} + synthesis, mock 0 ms{where}", fanout(n, None, 10000), None, n + 1,
                               args.repeats, None, tmp, args.pflow, runs_root=root)
                       for n in [100, 1000] + ([] if args.quick else [10000])
                       for where, root in [("", None)] + ([(", runs on tmpfs", memory)] if memory else [])]
        front_rows = measure_front_end(args.pflow, tmp, args.repeats)
        alone = measure_server_alone(server_binary)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if memory:
            shutil.rmtree(memory, ignore_errors=True)
    text = report(args, rows, engine_rows, front_rows, alone)
    with open(args.output, "w") as f:
        f.write(text)
    print("\n## Engine overhead" + text.split("## Engine overhead", 1)[1])
    print(f"written: {os.path.relpath(args.output)} ({time.monotonic() - started:.0f} s of measuring)")


if __name__ == "__main__":
    sys.exit(main())
