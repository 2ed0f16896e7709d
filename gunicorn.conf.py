"""Production serving: `gunicorn -c gunicorn.conf.py server:app` behind an HTTPS proxy.

Every setting can be overridden on the command line or by GUNICORN_CMD_ARGS.
"""

import gc
import logging
import multiprocessing
import os
import sys

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Sync workers: each request is short CPU work (matching) plus a SQLite write.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
# WeChat gives up after 5 s; a request still running after 10 s is stuck.
timeout = 10
graceful_timeout = 10
# Build the app (knowledge check, index, classifiers) once, then fork the workers: they
# are ready at once and share the read-only memory. No SQLite connection is open at fork.
preload_app = True
# Recycle workers now and then to bound memory growth.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
# The path without its query string: WeChat puts the openid, signature, timestamp and
# nonce there, and an access log must hold none of them.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def when_ready(server):
    """After the preload, before the workers fork: collect once and freeze what is left,
    so the garbage collector never touches the preloaded objects again and their memory
    pages stay shared between the workers instead of being copied into each."""
    gc.collect()
    gc.freeze()


def worker_exit(server, worker):
    """A worker that leaves normally (recycled by max_requests, or at shutdown) ends at
    once, without Python's teardown. Dismantling every object writes to every page the
    worker shares with the master and the other worker: for its last half second a
    recycled worker owned about 50 MB instead of 18 (measured by polling its USS). Its
    requests are finished and their writes committed by now; the logs are flushed first.
    Any other exit (a worker that failed to boot, say) keeps its exit code and its usual
    path, which the master reads."""
    leaving = sys.exc_info()[1]
    if isinstance(leaving, SystemExit) and leaving.code in (0, None):
        server.log.info("Worker exiting at once (pid: %s)", worker.pid)
        logging.shutdown()
        os._exit(0)
