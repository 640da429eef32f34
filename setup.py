"""Only the matcher's optional C helper; everything else is in pyproject.toml.

``optional=True``: where no C compiler is found, the install goes on without it and the
matcher uses its pure-Python loops (same results, about a third slower: bench/terms.py).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("syndicate.terms._scan", ["syndicate/terms/_scan.c"], optional=True)])
