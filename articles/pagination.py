"""Bounded "newer / older" pagination without COUNT(*): fetch one row more than a page.

A page number that is not a positive whole number, is absurdly large or lies past the end is
a 404, never a 500.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.utils.http import urlencode

# Far beyond any real archive page, small enough that OFFSET never overflows.
MAX_PAGE = 10_000


def page_size():
    return max(1, min(int(getattr(settings, "NEWSROOM_PAGE_SIZE", 20)), 100))


@dataclass
class Page:
    items: list
    number: int
    has_next: bool
    query: dict
    # The last page's number, where the whole result's size is known (search).
    last_number: int | None = None

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous

    def _url(self, number):
        params = {k: v for k, v in self.query.items() if k != "page" and v not in ("", None)}
        if number > 1:
            params["page"] = number
        return f"?{urlencode(params)}" if params else "?"

    @property
    def next_url(self):
        return self._url(self.number + 1) if self.has_next else ""

    @property
    def previous_url(self):
        return self._url(self.number - 1) if self.has_previous else ""

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def page_number(request):
    raw = request.GET.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise Http404("No such page.")
    number = int(raw)
    if not 1 <= number <= MAX_PAGE:
        raise Http404("No such page.")
    return number


def paginate(request, queryset, size=None):
    """One page of ``queryset`` (already ordered) for ``?page=``; past the end is a 404."""
    size = size or page_size()
    number = page_number(request)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    if number > 1 and not rows:
        raise Http404("No such page.")
    return Page(
        items=rows[:size],
        number=number,
        has_next=len(rows) > size,
        query=request.GET.dict(),
    )
