"""Pausing Python's cyclic garbage collector around work that creates hundreds of thousands of objects.

While an import or an export builds its rows, the collector keeps rescanning every live object (the parsed
workbook, the snapshot), which nearly doubles the time of a large one (bench/workbook.py). These objects
hold no reference cycles worth chasing meanwhile; any made are collected when the collector resumes.
"""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
