"""Terms: glossaries (model, CSV, TBX, lint), the term matcher, and topic routing.

Where a term is matched: :mod:`syndicate.terms.matcher` (Japanese word boundaries:
:mod:`syndicate.terms.segment`; generated forms: :mod:`syndicate.terms.forms`). Where topics
are decided: :mod:`syndicate.terms.routing`.
"""

from syndicate.terms.load import TermBase, concept_problems, load_term_base
from syndicate.terms.matcher import Matcher, TermMatch
from syndicate.terms.model import Concept, Glossary, GlossaryProblem, Term, TermFlag, TermStatus
from syndicate.terms.routing import (
    Explanation,
    explain,
    mentions_of,
    route,
    route_article,
    routing_version,
)

__all__ = [
    "Concept",
    "Explanation",
    "Glossary",
    "GlossaryProblem",
    "Matcher",
    "Term",
    "TermBase",
    "TermFlag",
    "TermMatch",
    "TermStatus",
    "concept_problems",
    "explain",
    "load_term_base",
    "mentions_of",
    "route",
    "route_article",
    "routing_version",
]
