"""Terms: glossaries (model, CSV, TBX, lint), the term matcher, and topic routing.

Where a term is matched: :mod:`syndicate.terms.matcher`. Where topics are decided:
:mod:`syndicate.terms.routing`.
"""

from syndicate.terms.load import TermBase, concept_problems, load_term_base
from syndicate.terms.matcher import Matcher, TermMatch
from syndicate.terms.model import Concept, Glossary, GlossaryProblem, Term, TermStatus
from syndicate.terms.routing import mentions_of, route, route_article, routing_version

__all__ = [
    "Concept",
    "Glossary",
    "GlossaryProblem",
    "Matcher",
    "Term",
    "TermBase",
    "TermMatch",
    "TermStatus",
    "concept_problems",
    "load_term_base",
    "mentions_of",
    "route",
    "route_article",
    "routing_version",
]
