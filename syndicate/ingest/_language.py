"""Detect an article's language when neither the source nor the feed declares it.

The only module that imports the detector. py3langid (a maintained, faster fork of
langid.py) was chosen by measuring the candidates the package index offers on our demo
articles: it ships its model inside the
package (4.5 MB, nothing fetched at run time), classified every demo title and summary
correctly among its 97 languages, and costs about 0.13–0.18 ms per article (text extraction
included; bench/run.py) after a one-time 0.6 s model load. lingua was slower on titles,
less accurate on them, and 96 MB;
fastText-based detectors download their model at run time, which we cannot do.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["detect_language"]

_lock = threading.Lock()
_identifier: Any = None

#: text shorter than this is too little to guess from
MIN_CHARS = 12
#: the detector sees at most this much text
MAX_CHARS = 2000


def _get_identifier() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        return _identifier


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when there is too little text."""
    text = text.strip()
    if len(text) < MIN_CHARS:
        return None
    code, _probability = _get_identifier().classify(text[:MAX_CHARS])
    return str(code)
