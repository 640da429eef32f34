"""Topic routing measured on news written fresh in three languages (bench/data/routing_eval.toml).

Every story of the set was written as three independent news pieces (it, en, ja), with the
topics an editor would give it decided before the router ran; off-topic stories (sport,
food, culture) should get none. Each version is routed as an article of the demo
configuration (config.toml: its topics and glossaries) would be, by concepts only: no
source topics, categories or keywords. Printed:

- the share of on-topic stories whose three versions get identical topics;
- precision and recall per language, over (story, topic) pairs;
- the off-topic stories routed anywhere;
- every concept found in one language version of a story but not in its siblings (the
  list to work from: a missing form in one language, or a wrong match in another).

    .venv/bin/python bench/routing.py [--set FILE] [--config FILE] [--stories] [--json]

Two sets: ``routing_eval.toml`` (48 stories, the default) is the set the term base was
worked from (its list of one-sided concepts); ``routing_holdout.toml`` (20 stories, with
``--set bench/data/routing_holdout.toml``) was written afterwards by a writer who saw
neither the glossary nor the first set, and is never worked from: it says how the rules
and terms do on text they were not fitted to. Do not draw term-base changes from its
output; when it has been looked at too often, write a new one.

``tests/terms/test_routing_eval.py`` keeps a floor under these figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.config import Config, load_config  # noqa: E402
from syndicate.models import Article, TopicReason  # noqa: E402
from syndicate.terms import load_term_base, route  # noqa: E402

LANGUAGES = ("it", "en", "ja")
SET = ROOT / "bench" / "data" / "routing_eval.toml"
CONFIG = ROOT / "config.toml"


@dataclass(frozen=True)
class Version:
    story: str
    lang: str
    expected: frozenset[str]
    topics: frozenset[str]
    concepts: frozenset[str]
    scores: dict[str, float]


@dataclass
class Report:
    versions: list[Version] = field(default_factory=list)

    def stories(self) -> dict[str, list[Version]]:
        out: dict[str, list[Version]] = {}
        for v in self.versions:
            out.setdefault(v.story, []).append(v)
        return out

    def on_topic(self) -> dict[str, list[Version]]:
        return {s: vs for s, vs in self.stories().items() if vs[0].expected}

    def identical_share(self) -> float:
        """On-topic stories whose three versions got the same topics."""
        stories = self.on_topic()
        same = sum(1 for vs in stories.values() if len({v.topics for v in vs}) == 1)
        return same / len(stories) if stories else 0.0

    def precision_recall(self, lang: str) -> tuple[float, float]:
        hits = wrong = missed = 0
        for v in self.versions:
            if v.lang != lang:
                continue
            hits += len(v.topics & v.expected)
            wrong += len(v.topics - v.expected)
            missed += len(v.expected - v.topics)
        precision = hits / (hits + wrong) if hits + wrong else 1.0
        recall = hits / (hits + missed) if hits + missed else 1.0
        return precision, recall

    def off_topic_routed(self) -> list[tuple[str, str, list[str]]]:
        return [
            (v.story, v.lang, sorted(v.topics))
            for v in self.versions
            if not v.expected and v.topics
        ]

    def one_sided_concepts(self) -> list[tuple[str, str, list[str]]]:
        """(story, concept, languages that found it) where not every version did."""
        out = []
        for story, versions in self.stories().items():
            found = {v.lang: v.concepts for v in versions}
            every = set().union(*found.values())
            for concept in sorted(every):
                langs = [lang for lang in LANGUAGES if concept in found.get(lang, set())]
                if len(langs) < len(found):
                    out.append((story, concept, langs))
        return out


def evaluate(set_path: Path = SET, config_path: Path = CONFIG) -> Report:
    """Route every version of every story of the set; nothing is stored."""
    config = load_config(config_path)
    terms = load_term_base(config)
    config = _concepts_only(config)
    data = tomllib.loads(set_path.read_text("utf-8"))
    report = Report()
    for story in data["story"]:
        expected = frozenset(story["topics"])
        for lang in LANGUAGES:
            version = story[lang]
            article = Article(
                source_id="eval",
                guid=f"{story['id']}-{lang}",
                link=None,
                title=version["title"],
                summary="",
                content=version["text"],
                language=lang,
            )
            routed = route(article, config, terms.matcher)
            topics = frozenset(t for t, r in routed.topics if r is TopicReason.CONCEPT)
            concepts = frozenset(m.concept for m in routed.mentions)
            report.versions.append(
                Version(story["id"], lang, expected, topics, concepts, dict(routed.scores))
            )
    return report


def _concepts_only(config: Config) -> Config:
    """The configuration with topics decided by concepts alone."""
    topics = tuple(replace(t, categories=(), keywords=()) for t in config.topics)
    return replace(config, topics=topics, sources=())


def table(report: Report) -> str:
    lines = [f"{'figure':<44} {'value':>8}"]
    stories = report.on_topic()
    same = sum(1 for vs in stories.values() if len({v.topics for v in vs}) == 1)
    lines.append(
        f"{'identical topics in it/en/ja (on-topic)':<44} "
        f"{report.identical_share():>8.1%}  ({same} of {len(stories)})"
    )
    for lang in LANGUAGES:
        precision, recall = report.precision_recall(lang)
        lines.append(f"{'precision ' + lang:<44} {precision:>8.3f}")
        lines.append(f"{'recall ' + lang:<44} {recall:>8.3f}")
    off = report.off_topic_routed()
    total_off = len(report.stories()) - len(stories)
    lines.append(
        f"{'off-topic versions routed':<44} {len(off):>8}  (of {total_off * len(LANGUAGES)})"
    )
    one_sided = len(report.one_sided_concepts())
    lines.append(f"{'concepts found in some versions only':<44} {one_sided:>8}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--stories", action="store_true", help="every version's topics")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = evaluate(args.set, args.config)
    elapsed = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "identical_share": report.identical_share(),
                    "precision_recall": {lang: report.precision_recall(lang) for lang in LANGUAGES},
                    "off_topic_routed": report.off_topic_routed(),
                    "one_sided_concepts": report.one_sided_concepts(),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    print(table(report))
    print(f"\n{len(report.versions)} versions routed in {elapsed:.2f} s (glossary load included)")
    for story, lang, topics in report.off_topic_routed():
        print(f"off-topic routed: {story} [{lang}] -> {', '.join(topics)}")
    if args.stories:
        for story, versions in report.stories().items():
            marks = " ".join(f"{v.lang}={','.join(sorted(v.topics)) or '-'}" for v in versions)
            expected = ",".join(sorted(versions[0].expected)) or "-"
            flag = "" if all(v.topics == v.expected for v in versions) else "  <<"
            print(f"{story:<28} expected={expected:<28} {marks}{flag}")
    print("\nconcepts found in some versions only (story: concept [languages that found it]):")
    for story, concept, langs in report.one_sided_concepts():
        print(f"  {story}: {concept} [{','.join(langs) or '-'}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
