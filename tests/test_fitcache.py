"""Fitted models kept between starts: loaded when nothing they depend on changed, fitted
again when anything did, and never in the way of a start."""

import subprocess
import sys
from pathlib import Path

from bot.search import fitcache

ROOT = Path(__file__).resolve().parent.parent


def counting_fit(calls, value):
    def fit():
        calls.append(1)
        return value

    return fit


def test_the_same_inputs_load_what_was_fitted(tmp_path):
    calls = []
    key = fitcache.digest(["视频", "电话"], {"margin": 0.005})
    first = fitcache.cached(tmp_path, "index", key, counting_fit(calls, {"weights": [1, 2]}))
    again = fitcache.cached(tmp_path, "index", key, counting_fit(calls, "never used"))
    assert first == again == {"weights": [1, 2]} and len(calls) == 1


def test_changed_inputs_or_files_fit_again(tmp_path):
    examples = tmp_path / "examples.tsv"
    examples.write_text("scam\t转账到安全账户\n", encoding="utf-8")
    before = fitcache.digest(examples, ["视频"])
    assert fitcache.digest(examples, ["视频"]) == before
    assert fitcache.digest(examples, ["视屏"]) != before
    examples.write_text("scam\t转账到安全账户\nham\t晚上吃饺子\n", encoding="utf-8")
    assert fitcache.digest(examples, ["视频"]) != before


def test_a_damaged_file_is_fitted_again_and_replaced(tmp_path):
    calls = []
    key = fitcache.digest("damaged")
    fitcache.cached(tmp_path, "models", key, counting_fit(calls, [1]))
    (stored,) = tmp_path.glob("models-*.pickle")
    stored.write_bytes(b"not a pickle")
    assert fitcache.cached(tmp_path, "models", key, counting_fit(calls, [2])) == [2]
    assert fitcache.cached(tmp_path, "models", key, counting_fit(calls, [3])) == [2]
    assert len(calls) == 2


def test_a_folder_that_cannot_be_written_only_costs_the_fit(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    calls = []
    assert fitcache.cached(blocked, "index", "k", counting_fit(calls, 7)) == 7
    assert fitcache.cached(None, "index", "k", counting_fit(calls, 8)) == 8
    # Fitting in a child that cannot store its fit: fitted here after all.
    assert fitcache.cached(blocked, "index", "k", counting_fit(calls, 9), isolate=True) == 9
    assert len(calls) == 3  # the child's call is not counted here


def test_only_a_few_fits_of_a_kind_are_kept(tmp_path):
    for number in range(fitcache.KEEP + 3):
        fitcache.cached(tmp_path, "index", f"key{number}", lambda n=number: n)
    assert len(list(tmp_path.glob("index-*.pickle"))) == fitcache.KEEP


def test_starts_fit_in_a_child_and_restarts_load_the_fits(tmp_path):
    """A start with no stored fit fits in a child process and keeps the result; the
    service itself never imports scikit-learn (60 MB, half a second), and a restart on
    the same knowledge loads the same files and answers the same."""
    script = f"""
import sys
from bot import create_app
from bot.chat.dialogue import Message
app = create_app({{
    "BOT_DATABASE": sys.argv[1],
    "FIT_CACHE_DIR": {str(tmp_path / "fitted")!r},
    "ALLOW_DEMO_SECRETS": True,
}})
services = app.extensions["silverhelper"]
for text in ("微信怎么打视频", "警察让我把钱转到安全账户", "谢谢你", "我老伴突然倒地不醒"):
    reply = services.respond(Message(user="o1", kind="text", text=text))
    print(reply.outcome, reply.entry_id, reply.alarm)
print("sklearn" in sys.modules)
"""

    def start(database):
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / database)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.splitlines()

    def stored():
        return {p.name: p.stat().st_mtime_ns for p in (tmp_path / "fitted").glob("*.pickle")}

    first = start("first.db")
    kept = stored()
    assert {name.split("-")[0] for name in kept} == {"index", "models", "confusable"}
    second = start("second.db")  # the same knowledge
    assert stored() == kept  # loaded, not fitted and written again
    assert first[-1] == second[-1] == "False"
    assert first[:-1] == second[:-1] and len(first) == 5
