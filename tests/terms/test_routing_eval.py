"""A floor under the routing figures (bench/routing.py) on both evaluation sets: news
written fresh in it/en/ja, topics decided first.

The floors are the figures reached so far, rounded down: a change to the rules or the term
base that lowers one fails here. Raise them as the figures rise.

- ``routing_eval.toml`` (48 stories), the set the term base was worked from. Issue 16 asked
  for 90% identical topics and 0.95 precision and recall in every language there; it
  reached 91.7% (precision 1.0, recall 0.955 it, 1.0 en, 1.0 ja) before the ambiguity
  review, and 80.6% after it (recall 0.896 it, 1.0 en, 0.985 ja): the review's
  needs-context flags cost recall on this set. Before issue 16: 44.4%, recall 0.63-0.70,
  two off-topic stories routed.
- ``routing_holdout.toml`` (20 stories), written after that work by a writer who saw
  neither the glossary nor the first set, never worked from. With the review: 71.4%
  identical, precision 0.964 it, 0.962 en, 1.0 ja, recall 0.964, 0.893, 0.964, no
  off-topic story routed (57.1% and two off-topic Italian versions routed without it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import bench_module

ROOT = Path(__file__).resolve().parents[2]

#: per set: identical topics for the three versions of an on-topic story, and precision
#: and recall in every language
FLOORS = {
    "routing_eval.toml": (0.80, 0.99, 0.89),
    "routing_holdout.toml": (0.71, 0.96, 0.89),
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def report(request: pytest.FixtureRequest) -> tuple[str, object]:
    name = request.param
    return name, bench_module("routing").evaluate(ROOT / "bench" / "data" / name)


def test_the_three_versions_of_a_story_get_the_same_topics(report: tuple[str, object]) -> None:
    name, figures = report
    share = figures.identical_share()  # type: ignore[attr-defined]
    assert share >= FLOORS[name][0], f"{name}: {share:.1%} of on-topic stories"


@pytest.mark.parametrize("lang", ["it", "en", "ja"])
def test_precision_and_recall_in_every_language(report: tuple[str, object], lang: str) -> None:
    name, figures = report
    precision, recall = figures.precision_recall(lang)  # type: ignore[attr-defined]
    _, precision_floor, recall_floor = FLOORS[name]
    assert precision >= precision_floor and recall >= recall_floor, (name, precision, recall)


def test_no_off_topic_story_is_routed(report: tuple[str, object]) -> None:
    name, figures = report
    assert figures.off_topic_routed() == [], name  # type: ignore[attr-defined]
