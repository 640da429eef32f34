"""Terms: glossaries and topic routing."""

from syndicate.terms.routing import route_article

__all__ = ["route_article"]
