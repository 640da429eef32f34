"""Load the glossaries a config names, build their matcher, and check concept references."""

from __future__ import annotations

import glob
import logging
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.config import Config
from syndicate.errors import ConfigProblem
from syndicate.terms.lint import read_glossary_files
from syndicate.terms.matcher import Matcher
from syndicate.terms.model import Glossary, GlossaryProblem
from syndicate.terms.routing import routing_version

__all__ = ["TermBase", "concept_problems", "glossary_paths", "load_glossary", "load_term_base"]

log = logging.getLogger("syndicate.terms")


@dataclass(frozen=True)
class TermBase:
    """The loaded glossary, its matcher, and what was wrong in its files."""

    glossary: Glossary = field(default_factory=Glossary)
    matcher: Matcher | None = None
    problems: tuple[GlossaryProblem, ...] = ()
    files: tuple[Path, ...] = ()

    @property
    def version(self) -> str:
        return self.glossary.version

    def routing_version(self, config: Config) -> str:
        return routing_version(config, self.version)


def glossary_paths(config: Config) -> list[Path]:
    """The files matched by ``glossary.files`` (relative to the config file), sorted."""
    paths: list[Path] = []
    for pattern in config.glossary.files:
        full = pattern if Path(pattern).is_absolute() else str(config.base_dir / pattern)
        paths += sorted(Path(p) for p in glob.glob(full, recursive=True))
    return list(dict.fromkeys(paths))


def load_term_base(config: Config) -> TermBase:
    """Read every glossary file; rows with problems are left out and reported, the rest
    is used (a bad row never stops the service)."""
    files = glossary_paths(config)
    concepts, problems = read_glossary_files(files)
    glossary = Glossary(tuple(concepts))
    return TermBase(glossary, Matcher(glossary), tuple(problems), tuple(files))


def load_glossary(config: Config) -> TermBase:
    """:func:`load_term_base`, logging each problem of the files (for long-running workers)."""
    terms = load_term_base(config)
    for problem in terms.problems:
        log.warning("glossary: %s (row left out)", problem)
    unknown = concept_problems(config, terms.glossary)
    for config_problem in unknown:
        log.warning("%s", config_problem)
    return terms


def concept_problems(config: Config, glossary: Glossary) -> list[ConfigProblem]:
    """A topic that names a concept no glossary defines, with its config line."""
    problems = []
    for i, topic in enumerate(config.topics):
        for j, concept in enumerate(topic.concepts):
            if concept not in glossary:
                key = ("topics", i, "concepts", j)
                line = config.lines.line_of(key) if config.lines else None
                problems.append(
                    ConfigProblem(
                        config.path,
                        line,
                        f"topics[{i}].concepts[{j}]",
                        f"concept {concept!r} is not defined in any glossary (glossary.files)",
                    )
                )
    return problems
