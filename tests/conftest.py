"""Suite-wide test settings.

Hypothesis: no per-example deadline (shared 2-core machines stall at random), and under CI
(env ``CI`` set) derandomised, so a CI run explores the same examples as a local
``CI=1 make test`` and a failure reproduces.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", deadline=None, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True,
                          database=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")
