"""Entry-splitter benchmark: normal and hostile bodies of 1, 3 and 10 MB, in one run.

    .venv/bin/python bench/splitter.py [--sizes 1,3,10] [--rounds 3]

Bodies, generated from a fixed seed:
  - normal: an RSS feed of bench/fixture.py's items (about 1.3 KB each);
  - unterminated comment, unterminated CDATA: ``<!--`` (or ``<![CDATA[``) repeated, then
    two items, so the scan must go on to the end;
  - unterminated item: two items, then ``<item `` repeated with no ``>`` after;
  - deep nesting: nested ``<div>`` elements inside one item; and items nested in items;
  - tiny entries: ``<item></item>`` repeated, the most entries per MB (the per-entry cost).
Measured: syndicate's split_feed, best of the rounds, in MB/s; beside it the ratios to the
normal body of the same size, to the same input at the smallest size (about 1 for a cost
that grows linearly with the size), and to ``body.count(b"<")``, one C pass that looks at
every ``<`` of the same body (the floor of any scan). The regex splitter used before issue
15 is measured on the normal bodies (the speed we must keep) and on an unterminated
comment of 16, 32 and 64 KB: its time grows with the square of the size (10 MB would take
about a day), which is why the hostile rows above are not run with it.
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture import item

from syndicate.ingest.entry_split import MAX_SPLIT_BYTES, split_feed

MB = 1024 * 1024
HEAD = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
TAIL = b"</channel></rss>"
TWO = b"<item><title>a</title><guid>a</guid></item><item><title>b</title><guid>b</guid></item>"

# The splitter before issue 15, the reference the tests compare with cut for cut.
from tests.test_incremental import old_split_feed  # noqa: E402


def repeated(unit: bytes, size: int) -> bytes:
    return unit * max(1, size // len(unit))


def normal(size: int) -> bytes:
    rng = random.Random(2026)
    items: list[bytes] = []
    total = len(HEAD) + len(TAIL)
    while total < size:
        items.append(item(1, len(items), rng).encode())
        total += len(items[-1])
    return HEAD + b"".join(items[::-1]) + TAIL


BODIES: dict[str, Callable[[int], bytes]] = {
    "normal feed": normal,
    "unterminated <!--": lambda n: HEAD + repeated(b"<!--", n) + TWO + TAIL,
    "unterminated <![CDATA[": lambda n: HEAD + repeated(b"<![CDATA[", n) + TWO + TAIL,
    "unterminated <item": lambda n: HEAD + TWO + repeated(b"<item ", n),
    "deep nesting in one item": lambda n: (
        HEAD + b"<item>" + repeated(b"<div>", n // 2) + repeated(b"</div>", n // 2) + b"</item>"
    ),
    "items nested in items": lambda n: HEAD + repeated(b"<item>", n) + TAIL,
    "tiny entries": lambda n: HEAD + repeated(b"<item></item>", n) + TAIL,
}


def best_seconds(func: Callable[[], object], rounds: int) -> float:
    return best_together([func], rounds)[0]


def best_together(funcs: list[Callable[[], object]], rounds: int) -> list[float]:
    """Best time of each function, run in turns, so drift in machine speed hits all alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def hostile_table(sizes: list[float], rounds: int) -> None:
    """split_feed on every kind of body and size, against normal input and count("<")."""
    rates: dict[tuple[str, float], float] = {}
    print(
        f"{'input':<26} {'MB':>5} {'seconds':>8} {'MB/s':>8} {'vs normal':>10} "
        f"{'vs 1st size':>11} {'vs count(<)':>11} {'entries':>8}"
    )
    for name, make in BODIES.items():
        for size in sizes:
            body = make(int(size * MB))
            mb = len(body) / MB
            split = split_feed(body)
            seconds, floor = best_together(
                [functools.partial(split_feed, body), functools.partial(body.count, b"<")], rounds
            )
            rate = rates[name, size] = mb / seconds
            print(
                f"{name:<26} {mb:>5.1f} {seconds:>8.3f} {rate:>8.1f} "
                f"{rate / rates['normal feed', size]:>10.2f} {rate / rates[name, sizes[0]]:>11.2f} "
                f"{floor / seconds:>11.3f} {len(split.entries) if split else '-':>8}"
            )


def old_against_new(sizes: list[float], rounds: int) -> None:
    """The splitter before issue 15 and today's on the bodies both split in linear time."""
    print(f"{'input':<26} {'MB':>5} {'old MB/s':>9} {'new MB/s':>9} {'new/old':>8}")
    for name in ("normal feed", "tiny entries"):
        for size in sizes:
            body = BODIES[name](int(size * MB))
            assert old_split_feed(body) == split_feed(body), "the cuts differ"
            old, new = best_together(
                [functools.partial(old_split_feed, body), functools.partial(split_feed, body)],
                rounds,
            )
            mb = len(body) / MB
            print(f"{name:<26} {mb:>5.1f} {mb / old:>9.1f} {mb / new:>9.1f} {old / new:>8.2f}")


def old_quadratic(rounds: int) -> None:
    """The splitter before issue 15 on an unterminated comment: 4x the time for 2x the size."""
    print(f"{'KB':>5} {'old seconds':>12} {'x previous':>11} {'new seconds':>12}")
    previous = 0.0
    for kb in (16, 32, 64):
        body = BODIES["unterminated <!--"](kb * 1024)
        old = best_seconds(functools.partial(old_split_feed, body), 1)
        new = best_seconds(functools.partial(split_feed, body), rounds)
        growth = f"{old / previous:.1f}" if previous else "-"
        print(f"{kb:>5} {old:>12.3f} {growth:>11} {new:>12.5f}")
        previous = old


def main() -> None:
    parser = argparse.ArgumentParser(description="entry splitter benchmark")
    parser.add_argument("--sizes", default="1,3,10", help="body sizes in MB, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    assert max(sizes) * MB <= MAX_SPLIT_BYTES, "larger bodies are not split at all"
    hostile_table(sizes, args.rounds)
    print("\nthe splitter before issue 15 (one regex) against today's, same bodies:")
    old_against_new(sizes, args.rounds)
    print("\nthe splitter before issue 15 on an unterminated <!-- (today's beside it):")
    old_quadratic(args.rounds)


if __name__ == "__main__":
    main()
