"""Long-running processes freeze the heap they built at start, so full collections stop walking it."""

from __future__ import annotations

import subprocess
import sys

from frontdesk import heap

PROBE = """
import gc
from frontdesk import heap
before = gc.get_freeze_count()
heap.settle()
print(before, gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_settle_freezes_what_the_process_built_and_collects_young_objects_less_often():
    # In a child process: freezing the test runner's own heap would change every later test's collections.
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    before, frozen, threshold = map(int, done.stdout.split())
    assert before == 0 and frozen > 1000
    assert threshold == heap.YOUNG_THRESHOLD
