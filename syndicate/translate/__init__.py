"""Machine translation with the organisation's glossary: engines, cache, budget, QA.

``engine.py`` is the protocol; ``deepl.py``, ``libretranslate.py``, ``openai.py`` speak to
the providers (``_http_engine.py`` is what they share: the client, JSON requests, provider
failures mapped); ``segments.py`` splits HTML under size limits (``_markup.py`` tokenizes
it), ``_placeholders.py`` hides do-not-translate names from engines without glossaries;
``entries.py`` picks the glossary entries an engine gets; ``qa.py`` checks and fixes the
output (``agreement.py`` keeps the grammar of a fix, ``_italian_agreement.py`` in Italian);
``runner.py`` drives a pass (cache, batches), sending through ``_calls.py`` (each request
let out by ``circuit.py`` and ``budget.py``, retried, counted), with ``_pieces.py``
(pieces, cache keys, batches) and ``_retry.py`` (when a failure is tried again);
``factory.py`` builds the configured engine.
"""

from syndicate.translate.engine import Engine, EngineReply, GlossaryEntry, TranslationRequest
from syndicate.translate.factory import make_engine
from syndicate.translate.qa import QAResult, check_translation
from syndicate.translate.report import TranslationStatusReport, translation_status, usage_by_source
from syndicate.translate.runner import TranslateReport, Translator

__all__ = [
    "Engine",
    "EngineReply",
    "GlossaryEntry",
    "QAResult",
    "TranslateReport",
    "TranslationRequest",
    "TranslationStatusReport",
    "Translator",
    "check_translation",
    "make_engine",
    "translation_status",
    "usage_by_source",
]
