"""Screenshot checks: OCR quality and time, and the verdicts, on drawn phone screenshots.

    python bench/screenshots.py [--count 160]

Texts come from knowledge/sms_examples.tsv: a fixed 30% (by a hash of the text) is held
out, drawn as 1080×2400 screenshots (light and dark; every 4th photographed at an angle,
every 5th blurred) and never used to fit the judge, which learns from the other 70%.
Prints: scams called scams, ordinary notices called scams, characters recognised on the
clean screenshots, and OCR time (median, p95) on this machine.
"""

import argparse
import difflib
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.screenshots import Reader  # noqa: E402
from bot.search.sms import SCAM, SmsJudge, read_examples  # noqa: E402
from tests.screens import screenshot  # noqa: E402


def held_out(text):
    return zlib.crc32(text.encode("utf-8")) % 10 < 3


def compact(text):
    return "".join(text.split())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=160)
    args = parser.parse_args()
    examples = read_examples(ROOT / "knowledge" / "sms_examples.tsv")
    judge = SmsJudge().fit([e for e in examples if not held_out(e[1])])
    test = [e for e in examples if held_out(e[1])]
    scams = [e for e in test if e[0]][: args.count // 2]
    plain = [e for e in test if not e[0]][: args.count // 2]
    reader, times, rows, accuracy = Reader(), [], [], []
    reader.text(screenshot("预热"))  # load the models before timing
    for n, (is_scam, text) in enumerate(scams + plain):
        angle = 3 if n % 4 == 3 else 0
        blur = 1.5 if n % 5 == 4 else 0.0
        image = screenshot(text, dark=n % 2 == 1, angle=angle, blur=blur)
        started = time.perf_counter()
        read = reader.text(image)
        times.append(time.perf_counter() - started)
        verdict = judge.judge(read).verdict
        rows.append((is_scam, verdict))
        if not angle and not blur:
            matcher = difflib.SequenceMatcher(None, compact(text), compact(read))
            accuracy.append(sum(b.size for b in matcher.get_matching_blocks()) / len(compact(text)))
    caught = sum(1 for s, v in rows if s and v == SCAM) / max(1, len(scams))
    false = sum(1 for s, v in rows if not s and v == SCAM) / max(1, len(plain))
    times.sort()
    counts = f"{len(scams)} scams, {len(plain)} ordinary"
    print(f"\nscreenshot checks: {len(rows)} drawn screenshots ({counts})")
    print(f"{'measure':<44} {'figure':>8} {'target':>8}")
    print(f"{'scams called scams':<44} {caught:>8.1%} {'>= 95%':>8}")
    print(f"{'ordinary notices called scams':<44} {false:>8.1%} {'<= 3%':>8}")
    recognised = statistics.mean(accuracy)
    print(f"{'characters recognised (clean screenshots)':<44} {recognised:>8.1%} {'>= 95%':>8}")
    print(f"{'OCR time, 1080x2400, median (s)':<44} {statistics.median(times):>8.2f}")
    print(f"{'OCR time, 1080x2400, p95 (s)':<44} {times[int(len(times) * 0.95) - 1]:>8.2f}")


if __name__ == "__main__":
    main()
