"""Webhook throughput and latency under gunicorn, against a bare Flask endpoint.

    python bench/webhook.py [--workers 2] [--concurrency 50] [--requests 3000]
    python bench/webhook.py --profile [--requests 3000]

Starts each app under the same gunicorn settings on a free loopback port, sends signed
text messages (distinct MsgIds, questions drawn from the evaluation set) from
`concurrency` concurrent senders, and prints one table.

--profile sends the same messages in one process through Flask's test client, first
timed, then under cProfile, and prints where one message's time goes: each function's
own time is added to the part of the turn its module belongs to.
"""

import argparse
import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.wxclient import WeChatServer, text_xml  # noqa: E402

TOKEN = "bench-token"
QUESTIONS = [
    "微信怎么打视频电话",
    "手机字太小看不清",
    "公安打电话让我转账到安全账户",
    "一天吃多少盐",
    "隔夜菜能不能吃",
    "96110是什么电话",
    "付款码怎么打开",
    "明天下雨吗",
    "血压多少算高",
    "孙子说出车祸了要钱",
    "怎么发语音",
    "手机没网了咋办",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app, workers, port, env):
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = WeChatServer(TOKEN)
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            query = "&".join(f"{k}={v}" for k, v in server.verify_url("ready").items())
            conn.request("GET", "/wechat?" + query)
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() - started > 60:
            raise SystemExit(f"{app} did not start")
        time.sleep(0.02)
    return process, time.monotonic() - started


def send_batch(args):
    """One client process: `threads` senders sharing the batch; returns latencies (s)."""
    port, requests, threads = args

    def send(request):
        body = request.body.encode("utf-8")
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", request.url, body=body, headers={"Content-Type": "text/xml"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return time.perf_counter() - began

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send, requests))


def measure(port, total, concurrency, msg_base):
    server = WeChatServer(TOKEN)
    requests = [
        server.plain(
            text_xml(QUESTIONS[i % len(QUESTIONS)], msg_base + i, from_user=f"oBench{i % 500}")
        )
        for i in range(total)
    ]
    processes = 2
    chunks = [requests[i::processes] for i in range(processes)]
    began = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        results = pool.map(send_batch, [(port, c, concurrency // processes) for c in chunks])
    elapsed = time.perf_counter() - began
    latencies = sorted(x for r in results for x in r)
    return {
        "rate": total / elapsed,
        "median": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def server_cpu(process):
    """CPU seconds the server (master and workers) has used: per message, this figure
    does not move with what else the machine is doing, as throughput does."""
    master = psutil.Process(process.pid)
    return sum(sum(p.cpu_times()[:2]) for p in [master, *master.children()])


def worker_memory(process):
    """(mean RSS per worker, mean USS per worker, PSS of master + workers) in MB: RSS
    counts the pages workers share after the preload; USS is each worker's own; PSS
    shares the shared pages out, so its sum is what the machine really spends."""
    master = psutil.Process(process.pid)
    children = master.children()
    full = [c.memory_full_info() for c in children]
    rss = statistics.mean(f.rss for f in full) / 2**20
    uss = statistics.mean(f.uss for f in full) / 2**20
    pss = (master.memory_full_info().pss + sum(f.pss for f in full)) / 2**20
    return rss, uss, pss


# (part of the turn, substrings of the file paths whose functions' own time it takes);
# the first match wins, so the specific come before the general.
PARTS = (
    ("XML and signature", ("wechat/protocol", "wechatpy", "xmltodict", "defusedxml", "expat")),
    ("dedup and replay", ("wechat/dedup",)),
    ("conversation state", ("chat/conversation", "json/")),
    ("normalisation", ("search/nlp.py", "opencc", "unicodedata")),
    ("segmentation", ("jieba",)),
    ("pinyin", ("pypinyin",)),
    ("classifiers", ("textclass", "search/alarm", "search/emergency", "search/smalltalk")),
    ("retrieval", ("search/retriever", "scipy", "numpy", "murmurhash", "sklearn")),
    ("masking", ("privacy",)),
    ("SQLite", ("sqlite3", "sqlite_utils", "bot/usage", "'execute'", "'commit'")),
    ("dialogue", ("chat/dialogue", "chat/texts", "bot/services", "bot/outcomes")),
    ("Flask and HTTP", ("flask", "werkzeug", "wechat/webhook", "bot/headers", "http")),
)


def _part(function):
    filename, _, name = function
    where = f"{filename} '{name}'"
    return next((n for n, keys in PARTS if any(k in where for k in keys)), None)


def _shares(function, stats, seen):
    """{part: share} of a function's own time. Builtins and the standard library (dict
    lookups, math.log, urllib) count for the parts that called them, in proportion to
    the time spent on each caller's behalf."""
    part = _part(function)
    if part is not None:
        return {part: 1.0}
    callers = stats[function][4] if function in stats else {}
    spent = {caller: figures[2] for caller, figures in callers.items() if caller not in seen}
    whole = sum(spent.values())
    if not whole:
        return {"other": 1.0}
    shares = {}
    for caller, seconds in spent.items():
        for name, share in _shares(caller, stats, seen | {function}).items():
            shares[name] = shares.get(name, 0.0) + share * seconds / whole
    return shares


def profile(total):
    """In-process: ms per message, then the cProfile split by part of the turn."""
    import cProfile
    import pstats

    from bot import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"BOT_DATABASE": f"{tmp}/profile.db", "WECHAT_TOKEN": TOKEN, "SECRET_KEY": "bench"}
        )
        client = app.test_client()
        server = WeChatServer(TOKEN)

        def send(count, base):
            for i in range(count):
                question = QUESTIONS[i % len(QUESTIONS)]
                request = server.plain(text_xml(question, base + i, from_user=f"oBench{i % 500}"))
                response = client.post(request.url, data=request.body.encode("utf-8"))
                assert response.status_code == 200

        send(200, 10_000_000)  # warm-up
        began = time.perf_counter()
        send(total, 20_000_000)
        wall = (time.perf_counter() - began) / total * 1000
        profiler = cProfile.Profile()
        profiler.runcall(send, total, 30_000_000)
    stats = pstats.Stats(profiler).stats
    parts = dict.fromkeys([name for name, _ in PARTS] + ["other"], 0.0)
    for function, (_, _, own, _, _) in stats.items():
        for name, share in _shares(function, stats, set()).items():
            parts[name] += own * share
    whole = sum(parts.values())
    print(f"\none message, in process (test client, real signed XML, {total} messages)")
    print(f"wall time without the profiler: {wall:.2f} ms per message")
    print(f"{'part of the turn':<22} {'share':>6} {'ms/msg':>7}")
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"{name:<22} {seconds / whole:>6.0%} {seconds / whole * wall:>7.2f}")
    print("(shares of the profiled time, scaled to the unprofiled wall time)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="where one message's time goes")
    args = parser.parse_args()
    if args.profile:
        os.environ["ALLOW_DEMO_SECRETS"] = "1"
        profile(args.requests)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            WECHAT_TOKEN=TOKEN,
            SECRET_KEY="bench-webhook-secret",
            BOT_DATABASE=f"{tmp}/bench.db",
            WECHAT_AES_KEY="",
            WECHAT_APPID="",
        )
        for name, app in (("bare Flask", "bench.bare_app:app"), ("银龄助手", "server:app")):
            port = free_port()
            process, ready = start(app, args.workers, port, env)
            try:
                measure(port, 200, args.concurrency, 10_000_000)  # warm-up
                before = server_cpu(process)
                figures = measure(port, args.requests, args.concurrency, 20_000_000)
                figures["cpu"] = (server_cpu(process) - before) / args.requests * 1000
                figures.update(ready=ready, memory=worker_memory(process))
                rows.append((name, figures))
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
    print(
        f"\nwebhook benchmark: gunicorn {args.workers} sync workers, {args.concurrency}"
        f" concurrent senders, {args.requests} signed text messages, {os.cpu_count()} cores"
    )
    print(
        f"{'endpoint':<12} {'msg/s':>8} {'CPU ms/msg':>10} {'median ms':>10} {'p99 ms':>8}"
        f" {'RSS/worker':>10} {'USS/worker':>10} {'PSS all':>8} {'ready s':>8}"
    )
    for name, f in rows:
        rss, uss, pss = f["memory"]
        print(
            f"{name:<12} {f['rate']:>8.0f} {f['cpu']:>10.2f} {f['median']:>10.1f}"
            f" {f['p99']:>8.1f} {rss:>10.0f} {uss:>10.0f} {pss:>8.0f} {f['ready']:>8.2f}"
        )
    ratio = rows[1][1]["rate"] / rows[0][1]["rate"]
    print(f"throughput vs bare endpoint: {ratio:.0%}")


if __name__ == "__main__":
    main()
