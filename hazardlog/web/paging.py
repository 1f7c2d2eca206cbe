"""Pages of search results, counted up to a limit.

A search that matches every hazard of a 10,000-hazard log cost about twice as much to count as the whole
page cost on a small log (`make load`): counting reads every matching hazard again. Counting stops at
MOST_COUNTED; a search matching more lists its first MOST_COUNTED (best match first, or in the order
chosen) and says so. No log the NHS templates describe comes near that many hazards matching one search,
and the hazard list without a search is always counted in full.
"""

from functools import cached_property

from django.core.paginator import Paginator

MOST_COUNTED = 1_000


class SearchPaginator(Paginator):
    """A Paginator whose count stops at MOST_COUNTED (`more_than_counted` says whether it did)."""

    @cached_property
    def _matches(self) -> int:
        # Any MOST_COUNTED + 1 rows show that there are more: no ordering, so nothing is ranked to count.
        return self.object_list.order_by().values("pk")[: MOST_COUNTED + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._matches, MOST_COUNTED)

    @property
    def more_than_counted(self) -> bool:
        return self._matches > MOST_COUNTED
