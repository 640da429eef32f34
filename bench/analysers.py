"""Japanese analysers compared for the term matcher's word boundaries (syndicate/terms/segment.py).

    .venv/bin/pip install fugashi unidic-lite   # the candidate not chosen; not a dependency
    .venv/bin/python bench/analysers.py

For SudachiPy (core dictionary, split mode A; what syndicate uses) and fugashi (MeCab with
unidic-lite), in one run: installed size, dictionary load time and the memory it takes,
milliseconds per typical 2 KB Japanese article (tokenizing it whole), the boundaries
each gives on known traps, and the routing figures of bench/routing.py's evaluation set
with each analyser deciding the boundaries inside runs of one script.
"""

from __future__ import annotations

import importlib.util
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import routing  # noqa: E402
from terms import ARTICLE_JA  # noqa: E402

from syndicate.terms import segment  # noqa: E402

# (text, the term, whether it should match there)
TRAPS = [
    ("ベンチャー企業", "ベンチ", False),
    ("東京都の施策", "京都", False),
    ("リチウムイオン電池", "電池", True),
    ("水素エネルギー", "水素", True),
    ("全固体電池", "電池", True),
    ("東京イノベーションハブ", "ハブ", True),
    ("太陽光パネル", "太陽光", True),
    ("燃料電池車", "燃料電池", True),
    ("蓄電池", "電池", True),
    ("産学連携", "連携", True),
    ("実証実験", "実証", True),
    ("脱炭素社会", "脱炭素", True),
    ("姉妹都市協定", "協定", True),
    ("電動キックボード", "キックボード", True),
]


def as_marks(offsets: set[int], size: int) -> bytearray:
    marks = bytearray(size + 1)
    for i in offsets:
        marks[i] = 1
    return marks


def current_rss() -> float:
    """This process's resident memory now, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def site_size(*names: str) -> float:
    total = 0
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            total += sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    return total / 1e6


def sudachi() -> tuple[Callable[[str], bytearray], float, Callable[[str], object]]:
    import sudachipy

    started = time.perf_counter()
    tokenizer = sudachipy.Dictionary(dict="core").tokenizer(mode=sudachipy.SplitMode.A)
    loaded = time.perf_counter() - started

    def cut(run: str) -> bytearray:
        out = {0, len(run)}
        for m in tokenizer.tokenize(run):
            if m.is_oov():
                out.update(range(m.begin(), m.end()))
            out.add(m.end())
        return as_marks(out, len(run))

    return cut, loaded, lambda text: [m.end() for m in tokenizer.tokenize(text)]


def mecab() -> tuple[Callable[[str], bytearray], float, Callable[[str], object]]:
    import fugashi

    started = time.perf_counter()
    tagger = fugashi.Tagger()
    loaded = time.perf_counter() - started

    def cut(run: str) -> bytearray:
        out, at = {0, len(run)}, 0
        for word in tagger(run):
            at += len(word.white_space)
            if word.is_unk:
                out.update(range(at, at + len(word.surface)))
            at += len(word.surface)
            out.add(at)
        return as_marks(out, len(run))

    return (
        cut,
        loaded,
        lambda text: [len(w.surface) for w in tagger(text)],
    )


def measure(
    name: str, make: Callable[[], tuple[Callable[[str], bytearray], float, Callable[[str], object]]]
) -> Any:
    rss = current_rss()
    cut, loaded, raw = make()
    grown = current_rss() - rss
    article = ARTICLE_JA * 2
    raw(article)
    started = time.perf_counter()
    for _ in range(300):
        raw(article)  # the analyser's own cost: tokens and their ends, nothing more
    per_article = (time.perf_counter() - started) / 300 * 1000
    traps, missed = 0, []
    for text, term, expected in TRAPS:
        start = text.index(term)
        marks = segment.Boundaries(text)
        original = segment.run_boundaries
        segment.run_boundaries = cut  # type: ignore[assignment]
        try:
            fine = (start in marks and start + len(term) in marks) == expected
        finally:
            segment.run_boundaries = original  # type: ignore[assignment]
        traps += fine
        if not fine:
            missed.append(f"{term} in {text}")
    segment.run_boundaries = cut  # type: ignore[assignment]
    try:
        report = routing.evaluate()
    finally:
        segment.run_boundaries = original  # type: ignore[assignment]
    return name, loaded, grown, per_article, traps, report, missed


def main() -> None:
    rows = [measure("SudachiPy + sudachidict-core (A)", sudachi)]
    sizes = {"SudachiPy + sudachidict-core (A)": site_size("sudachipy", "sudachidict_core")}
    if importlib.util.find_spec("fugashi") and importlib.util.find_spec("unidic_lite"):
        rows.append(measure("fugashi + unidic-lite", mecab))
        sizes["fugashi + unidic-lite"] = site_size("fugashi", "unidic_lite")
    else:
        print("fugashi or unidic-lite not installed: only SudachiPy measured")
    print(
        f"{'analyser':<34} {'size MB':>8} {'load s':>7} {'RSS MB':>7} {'ms/2KB':>7} "
        f"{'traps':>6} {'same':>6} {'P ja':>6} {'R ja':>6}"
    )
    for name, loaded, grown, per_article, traps, report, missed in rows:
        precision, recall = report.precision_recall("ja")
        print(
            f"{name:<34} {sizes[name]:>8.0f} {loaded:>7.2f} {grown:>7.0f} {per_article:>7.3f} "
            f"{traps:>3}/{len(TRAPS):<2} {report.identical_share():>6.1%} "
            f"{precision:>6.3f} {recall:>6.3f}"
        )
        if missed:
            print(f"{'':<34} traps got wrong: {', '.join(missed)}")


if __name__ == "__main__":
    main()
