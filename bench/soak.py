"""A soak: gunicorn with 2 workers under steady load for a long while (not in CI).

    python bench/soak.py [--minutes 30] [--rate 20]

Every 60 s it prints each worker's RSS and USS and the p99 latency of that minute; at the
end, whether worker USS stayed flat (within 10% of its first reading after warm-up) and
how p99 moved. Workers are recycled by gunicorn's max_requests; a recycled worker starts
again from the preloaded master, so each worker's first reading is taken once it has
served a minute of its own. A worker that exits after max_requests touches every object
as Python shuts down (its USS climbs to about 50 MB in its last half second): a reading
of a worker gone a second later was taken during that exit, is marked `exiting` and not
counted (gunicorn.conf.py's worker_exit now skips that teardown).

A worker's USS also rises, by about 2 MB, the moment its sibling exits: pages the two
shared (and the master no longer does, having written to its own copy) become the
survivor's alone. No byte more is used. So two figures are printed: the growth as USS
counts it, and the growth while the worker's siblings of its first reading still run.
"""

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from itertools import count
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos import TOKEN, start, wait_ready  # noqa: E402
from bench.webhook import QUESTIONS, free_port  # noqa: E402
from tests.wxclient import WeChatServer, text_xml  # noqa: E402


def gone(process):
    """Exited (or exited and not yet reaped by the master)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    port = free_port()
    master = start(Path(tmp.name) / "soak.db", port)
    assert wait_ready(port, master)
    wechat, ids, latencies, lock = WeChatServer(TOKEN), count(1), [], threading.Lock()
    stop = threading.Event()
    p99s = []

    def send():
        msg_id = next(ids)
        request = wechat.plain(text_xml(QUESTIONS[msg_id % len(QUESTIONS)], msg_id))
        started = time.perf_counter()
        with contextlib.suppress(requests.RequestException):
            requests.post(
                f"http://127.0.0.1:{port}/wechat",
                params=request.query,
                data=request.body.encode(),
                timeout=5,
            )
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)

    def load():
        while not stop.is_set():
            threading.Thread(target=send, daemon=True).start()
            time.sleep(1 / args.rate)

    threading.Thread(target=load, daemon=True).start()
    first, rows = {}, []
    print(f"{'minute':>6} {'worker':>7} {'RSS MB':>7} {'USS MB':>7} {'p99 ms':>7}")
    for minute in range(1, int(args.minutes) + 1):
        time.sleep(59)  # and 1 s below
        with lock:
            window, latencies[:] = sorted(latencies), []
        p99 = window[int(len(window) * 0.99) - 1] if window else float("nan")
        readings = []
        for child in psutil.Process(master.pid).children():
            with contextlib.suppress(psutil.Error):
                info = child.memory_full_info()
                readings.append((child, info, time.time() - child.create_time()))
        time.sleep(1)
        alive = {child.pid for child, _, _ in readings if not gone(child)}
        for child, info, age in readings:
            uss = info.uss / 2**20
            note = "exiting" if child.pid not in alive else "warm-up" if age < 60 else ""
            if not note:
                first.setdefault(child.pid, (uss, alive - {child.pid}))
                same = first[child.pid][1] <= alive
                rows.append((child.pid, uss, same))
                note = "" if same else "sibling recycled"
            print(
                f"{minute:>6} {child.pid:>7} {info.rss / 2**20:>7.0f} {uss:>7.1f} {p99:>7.1f}"
                + (f"  {note}" if note else ""),
                flush=True,
            )
        p99s.append(p99)
    stop.set()
    master.terminate()
    master.wait(20)
    growth = max(uss / first[pid][0] - 1 for pid, uss, _ in rows)
    own = max(uss / first[pid][0] - 1 for pid, uss, same in rows if same)
    p99s = p99s[1:]
    print(f"\nlargest USS growth of a worker after warm-up: {growth:.1%} (target: within 10%)")
    print(f"… while the siblings of its first reading still ran: {own:.1%}")
    print(f"p99 per minute: median {statistics.median(p99s):.1f} ms, max {max(p99s):.1f} ms")


if __name__ == "__main__":
    main()
