"""Webhook throughput and latency under gunicorn, against a bare Flask endpoint.

    python bench/webhook.py [--workers 2] [--concurrency 50] [--requests 3000]

Starts each app under the same gunicorn settings on a free loopback port, sends signed
text messages (distinct MsgIds, questions drawn from the evaluation set) from
`concurrency` concurrent senders, and prints one table.
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
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
                figures = measure(port, args.requests, args.concurrency, 20_000_000)
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
        f"{'endpoint':<12} {'msg/s':>8} {'median ms':>10} {'p99 ms':>8} {'RSS/worker':>10}"
        f" {'USS/worker':>10} {'PSS all':>8} {'ready s':>8}"
    )
    for name, f in rows:
        rss, uss, pss = f["memory"]
        print(
            f"{name:<12} {f['rate']:>8.0f} {f['median']:>10.1f} {f['p99']:>8.1f}"
            f" {rss:>10.0f} {uss:>10.0f} {pss:>8.0f} {f['ready']:>8.2f}"
        )
    ratio = rows[1][1]["rate"] / rows[0][1]["rate"]
    print(f"throughput vs bare endpoint: {ratio:.0%}")


if __name__ == "__main__":
    main()
