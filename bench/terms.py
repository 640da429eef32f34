"""Term-matching benchmark: our matcher against a bare automaton and a regex, in one run.

    .venv/bin/python bench/terms.py [--concepts N] [--megabytes M]     (part of make bench)

A synthetic glossary (20,000 concepts with it/en/ja terms, 1–3 words or 2–6 kana/kanji) and
about 10 MB of mixed text (it/en/ja, about one term every 12 words) are generated from a
fixed seed. Measured on the same text:
  - syndicate's Matcher: folding, word boundaries, leftmost-longest selection; and the
    same with its Python loops instead of the C helper (what an install without a C
    compiler gets);
  - the bare automaton: pyahocorasick over the raw terms and raw text, every match
    consumed, no folding, no boundaries, no selection (the ceiling);
  - a regex alternation of the same terms (longest first), on a slice of the text
    (a full pass would take minutes), reported per MB like the others.
The matcher, its Python loops and the bare automaton run in turns, five rounds, best of
each. Prints MB/s for each, the ratios, and the automaton's build time and memory.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from pathlib import Path

import ahocorasick

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicate.terms import Concept, Glossary, Matcher, Term

SYLLABLES = [a + b for a in "kmnstrdlpgbf" for b in "aeiou"][:30]
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロ"
KANJI = "電力網蓄池素材研究都市交通知能炭素循環水素太陽風車合成樹脂協定予算議会大学"


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def japanese(rng: random.Random) -> str:
    pool = KANA if rng.random() < 0.5 else KANJI
    return "".join(rng.choice(pool) for _ in range(rng.randint(2, 6)))


def glossary(concepts: int, rng: random.Random) -> Glossary:
    out = []
    for i in range(concepts):
        it = " ".join(word(rng) for _ in range(rng.randint(1, 3)))
        en = " ".join(word(rng) for _ in range(rng.randint(1, 3)))
        out.append(
            Concept(f"c{i}", "", "", (Term("it", it), Term("en", en), Term("ja", japanese(rng))))
        )
    return Glossary(tuple(out))


def text(g: Glossary, megabytes: float, lang: str, rng: random.Random) -> str:
    terms = [t.text for c in g for t in c.terms if t.lang == lang]
    parts: list[str] = []
    size = 0
    target = megabytes * 1024 * 1024 / 3
    while size < target:
        if lang == "ja":
            piece = rng.choice(terms) if rng.random() < 0.3 else japanese(rng) + "の"
        else:
            piece = rng.choice(terms) if rng.random() < 0.08 else word(rng)
            piece += "." if rng.random() < 0.1 else ""
        parts.append(piece)
        size += len(piece.encode()) + 1
    return ("" if lang == "ja" else " ").join(parts)


def timed(func, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def timed_together(funcs, rounds: int = 5) -> list[float]:  # type: ignore[no-untyped-def]
    """Best time of each function, run in turns, so drift in machine speed hits all alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            best[i] = min(best[i], timed(func, repeat=1))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description="term matching benchmark")
    parser.add_argument("--concepts", type=int, default=20_000)
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--regex-slice", type=float, default=0.25, help="MB given to the regex")
    args = parser.parse_args()
    rng = random.Random(2026)
    g = glossary(args.concepts, rng)
    texts = {lang: text(g, args.megabytes, lang, rng) for lang in ("it", "en", "ja")}
    total_mb = sum(len(t.encode()) for t in texts.values()) / 1024 / 1024

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    matcher = Matcher(g)
    build = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    automaton_bytes = sum(a.get_stats()["total_size"] for a in matcher._automata.values())

    bare: dict[str, ahocorasick.Automaton] = {}
    for lang in texts:
        automaton = ahocorasick.Automaton()
        for concept in g:
            for term in concept.terms_in(lang):
                automaton.add_word(term.text, len(term.text))
        automaton.make_automaton()
        bare[lang] = automaton

    found = {lang: 0 for lang in texts}

    def ours() -> None:
        for lang, body in texts.items():
            found[lang] = len(matcher.match(body, lang))

    pure_matcher = Matcher(g, compiled=False)

    def pure() -> None:
        for lang, body in texts.items():
            assert len(pure_matcher.match(body, lang)) == found[lang]

    def ceiling() -> None:
        for lang, body in texts.items():
            for _ in bare[lang].iter(body):
                pass

    ours()  # fills found[] for pure()'s check
    ours_s, pure_s, bare_s = timed_together([ours, pure, ceiling])

    slices = {
        lang: body[: int(len(body) * args.regex_slice / args.megabytes)]
        for lang, body in texts.items()
    }
    slice_mb = sum(len(s.encode()) for s in slices.values()) / 1024 / 1024
    patterns = {
        lang: re.compile(
            "|".join(
                re.escape(t)
                for t in sorted(
                    {t.text for c in g for t in c.terms_in(lang)}, key=len, reverse=True
                )
            )
        )
        for lang in texts
    }

    def regex() -> None:
        for lang, body in slices.items():
            for _ in patterns[lang].finditer(body):
                pass

    regex_s = timed(regex, repeat=1)

    ours_rate, bare_rate, regex_rate = total_mb / ours_s, total_mb / bare_s, slice_mb / regex_s
    print(
        f"{args.concepts} concepts x 3 languages; {total_mb:.1f} MB of text; "
        f"{sum(found.values())} matches found by the matcher"
    )
    print(f"{'matcher':<44} {'MB/s':>10} {'vs bare':>9} {'vs regex':>9}")
    print(
        f"{'syndicate Matcher (fold, boundaries, longest)':<44} {ours_rate:>10.2f} "
        f"{ours_rate / bare_rate:>9.2f} {ours_rate / regex_rate:>9.0f}"
    )
    pure_rate = total_mb / pure_s
    compiled = "C helper" if matcher._scan is not None else "C helper NOT BUILT"
    print(
        f"{f'  same, Python loops (without the {compiled})':<44} {pure_rate:>10.2f} "
        f"{pure_rate / bare_rate:>9.2f} {pure_rate / regex_rate:>9.0f}"
    )
    print(
        f"{'bare automaton (raw terms, raw text)':<44} {bare_rate:>10.2f} {1:>9.2f} "
        f"{bare_rate / regex_rate:>9.0f}"
    )
    print(
        f"{f'regex alternation ({slice_mb:.2f} MB slice)':<44} {regex_rate:>10.3f} "
        f"{regex_rate / bare_rate:>9.4f} {1:>9.0f}"
    )
    print(
        f"automaton build: {build:.2f} s; automaton memory {automaton_bytes / 1e6:.1f} MB "
        f"(pyahocorasick stats); peak RSS grew {(rss_after - rss_before) / 1024:.1f} MB"
    )
    print(
        f"goals: at least 0.5x the bare automaton (reached {ours_rate / bare_rate:.2f}x), "
        f"at least 100x the regex (reached {ours_rate / regex_rate:.0f}x)"
    )
    print("per language (Japanese pays for its analyser: segment.py):")
    for lang, body in texts.items():
        mb = len(body.encode()) / 1024 / 1024
        mine = mb / timed(lambda body=body, lang=lang: matcher.match(body, lang), repeat=3)
        piece = slices[lang]
        theirs = (len(piece.encode()) / 1024 / 1024) / timed(
            lambda piece=piece, lang=lang: [None for _ in patterns[lang].finditer(piece)],
            repeat=1,
        )
        ratio = mine / theirs
        print(f"  {lang}: matcher {mine:>6.2f} MB/s, regex {theirs:>6.3f} MB/s, {ratio:>5.0f}x")

    japanese_article_cost()


def japanese_article_cost() -> None:
    """The analyser's cost on a typical Japanese article of about 2 KB, with the shipped
    glossary: the matcher with word boundaries, against the same matcher told that every
    position is a boundary (what matching cost before the analyser)."""
    from syndicate.config import load_config
    from syndicate.terms import load_term_base
    from syndicate.terms.segment import run_boundaries

    root = Path(__file__).resolve().parent.parent
    glossary = load_term_base(load_config(root / "config.toml")).glossary
    with_analyser = Matcher(glossary)
    without = Matcher(glossary, segmenter=lambda body: range(len(body) + 1))
    article = ARTICLE_JA * 2
    size = len(article.encode())
    run_boundaries(article)  # the dictionary loads once per process: not counted
    rounds = 200
    costs = timed_together(
        [
            lambda: [with_analyser.match(article, "ja") for _ in range(rounds)],
            lambda: [without.match(article, "ja") for _ in range(rounds)],
            lambda: [run_boundaries(article) for _ in range(rounds)],
        ]
    )
    ms = [c / rounds * 1000 for c in costs]
    found = len(with_analyser.match(article, "ja"))
    print(
        f"\nJapanese article of {size / 1024:.1f} KB, shipped glossary ({len(glossary)} "
        f"concepts), {found} matches:"
    )
    print(f"{'  matcher with the analyser':<44} {ms[0]:>8.3f} ms")
    print(f"{'  matcher, every position a boundary':<44} {ms[1]:>8.3f} ms")
    print(f"{'  the analyser on the whole article (mode A)':<44} {ms[2]:>8.3f} ms")


# A news piece of our own, about 700 characters; two of them make a typical 2 KB article.
ARTICLE_JA = (
    "ヴァルモーラ市と東京都は、脱炭素に向けた協力の一環として、電気自動車（EV）の急速充電"
    "スタンドを共同で整備すると発表した。市内の駐車場や公共施設に太陽光パネルと蓄電池を組み"
    "合わせた設備を置き、昼間に発電した電力をためて夜間の充電に使う。再生可能エネルギーの"
    "比率を高め、地域の電力網への負担を抑える狙いだ。事業には地元の大学発スタートアップも"
    "参加し、人工知能（AI）で需要を予測して充電の時間帯を調整する仕組みを開発する。実証"
    "実験は来年春に始まり、結果を踏まえて対象地域を広げる。市長は「市民の暮らしを変える"
    "取り組みにしたい」と述べた。東京側の担当者も、両都市の技術交流が新しい産業を生むと"
    "期待を示している。水素を使った燃料電池バスの導入についても検討を進める方針で、2030"
    "年までに路線バスの半数を電動化する目標を掲げる。"
)


if __name__ == "__main__":
    main()
