"""Faults under load: a worker and the master killed, the disk full, the knowledge folder
gone at start. Prints what was sent, answered and logged.

    python bench/chaos.py [--rate 40] [--phase 8]

gunicorn with 2 workers on the bundled knowledge base and a temporary database; senders
keep a bounded rate of signed text messages, each with its own MsgId. Phases, in order:
steady; `kill -9` of one worker; the disk full for the workers (their file-size limit set
to 0, so every write fails as on a full disk; CPython ignores SIGXFSZ) then lifted;
`kill -9` of the master and a restart on the same database. Afterwards the usage log is
compared with the replies: each answered message outside the fault windows must be
logged exactly once. The knowledge folder missing at start must stop the start with a
clear message. (Running as root, chmod cannot make files unreadable, hence these faults.)
"""

import argparse
import contextlib
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from itertools import count
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import QUESTIONS, free_port  # noqa: E402
from tests.wxclient import WeChatServer, text_xml  # noqa: E402

TOKEN = "chaos-token"


def start(db, port, knowledge=ROOT / "knowledge"):
    env = dict(
        os.environ,
        WECHAT_TOKEN=TOKEN,
        SECRET_KEY="chaos-secret",
        BOT_DATABASE=str(db),
        KNOWLEDGE_DIR=str(knowledge),
        WECHAT_AES_KEY="",
        WECHAT_APPID="",
    )
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "server:app"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_ready(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            requests.get(f"http://127.0.0.1:{port}/wechat", timeout=1)
            return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


def workers(master):
    found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


class Load:
    """Senders at a bounded rate; every outcome kept with its phase."""

    def __init__(self, rate):
        self.rate = rate
        self.port = None
        self.phase = "steady"
        self.results = []  # (phase, msg_id, ok)
        self._ids = count(1)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.wechat = WeChatServer(TOKEN)

    def _send(self):
        msg_id = next(self._ids)
        phase, port = self.phase, self.port
        request = self.wechat.plain(text_xml(QUESTIONS[msg_id % len(QUESTIONS)], msg_id))
        try:
            response = requests.post(
                f"http://127.0.0.1:{port}/wechat",
                params=request.query,
                data=request.body.encode(),
                timeout=5,
            )
            ok = response.status_code == 200 and b"<xml>" in response.content
        except requests.RequestException:
            ok = False
        with self._lock:
            self.results.append((phase, msg_id, ok))

    def run(self):
        senders = []
        while not self._stop.is_set():
            thread = threading.Thread(target=self._send, daemon=True)
            thread.start()
            senders.append(thread)
            time.sleep(1 / self.rate)
        for thread in senders:
            thread.join(6)

    def stop(self):
        self._stop.set()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=40, help="messages per second")
    parser.add_argument("--phase", type=float, default=8, help="seconds per phase")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(tmp.name) / "chaos.db"
    port = free_port()
    master = start(db, port)
    assert wait_ready(port, master), master.stderr.read().decode()[-2000:]
    load = Load(args.rate)
    load.port = port
    sender = threading.Thread(target=load.run)
    sender.start()
    time.sleep(args.phase)

    load.phase = "worker killed"
    os.kill(workers(master)[0], signal.SIGKILL)
    time.sleep(args.phase)

    load.phase = "disk full"
    pids = workers(master)
    for pid in pids:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
    time.sleep(args.phase)
    for pid in pids:
        limit = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, limit)
    load.phase = "disk back"
    time.sleep(args.phase)

    load.phase = "master killed"
    master.kill()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    master.wait()
    restarted_at = time.monotonic()
    port2 = free_port()
    master = start(db, port2)
    ready = wait_ready(port2, master)
    restart_seconds = time.monotonic() - restarted_at
    load.port = port2
    load.phase = "after restart"
    time.sleep(args.phase)
    load.stop()
    sender.join()
    master.send_signal(signal.SIGTERM)
    master.wait(15)

    conn = sqlite3.connect(db)
    logged = Counter(
        int(k.rsplit(":", 1)[1]) for (k,) in conn.execute("select msg_key from messages")
    )
    integrity = conn.execute("pragma integrity_check").fetchone()[0]
    conn.close()

    missing_kb = start(Path(tmp.name) / "other.db", free_port(), knowledge=Path(tmp.name) / "gone")
    missing_kb.wait(60)
    said = missing_kb.stderr.read().decode()
    clear = missing_kb.returncode != 0 and "no entries/*.yaml" in said

    print("\nchaos: gunicorn, 2 workers, bounded load; each phase", args.phase, "s")
    header = ("sent", 5), ("answered", 9), ("share", 7), ("logged once", 12), ("dup", 4)
    print(f"{'phase':<15}", " ".join(f"{n:>{w}}" for n, w in header), f"{'lost':>5}")
    for phase in (
        "steady",
        "worker killed",
        "disk full",
        "disk back",
        "master killed",
        "after restart",
    ):
        rows = [r for r in load.results if r[0] == phase]
        answered = [r for r in rows if r[2]]
        once = sum(1 for r in answered if logged[r[1]] == 1)
        dup = sum(1 for r in rows if logged[r[1]] > 1)
        lost = sum(1 for r in answered if logged[r[1]] == 0)
        share = len(answered) / len(rows) if rows else float("nan")
        counts = f"{len(rows):>5} {len(answered):>9} {share:>7.1%} {once:>12}"
        print(f"{phase:<15} {counts} {dup:>4} {lost:>5}")
    print(
        f"integrity_check: {integrity}; restart after the master was killed: "
        f"{'ready' if ready else 'FAILED'} in {restart_seconds:.1f} s"
    )
    verdict = "refused with a clear message" if clear else "NOT CLEAR"
    print(f"knowledge folder gone at start: {verdict}")


if __name__ == "__main__":
    main()
