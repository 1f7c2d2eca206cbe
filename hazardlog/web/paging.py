"""Pages of search results, counted up to a limit.

Counting a search's results reads every matching hazard a second time, after ranking them: on a 10,000-hazard
log where a search matches every hazard, 3.8 ms of a 40 ms page (`make load`), which with the ranking was all
of the page that grew with the log. Counting stops at MOST_COUNTED; a search matching more lists its first
MOST_COUNTED (best match first, or in the order chosen) and says so. The first MOST_COUNTED are still chosen
from every match. The hazard list without a search is always counted in full.
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
