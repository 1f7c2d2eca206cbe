"""Full-text search of a log's hazards, with their causes, controls and evidence: ranked, and with the
matching words highlighted (the index and its triggers: migration 0012).

What a search means, on both databases: the words of the query (runs of letters and digits; every other
character, FTS syntax included, only separates words) must all be found, each as the start of a word
("presc" finds "prescription"; stemmed, so "doses" finds "dose"); a number also finds a reference with
that number ("12" finds H12 and EPMA-012). On PostgreSQL the whole query also finds the references that
contain it anywhere ("500" finds H1500; pg_trgm), and English stop words ("the") are ignored. A query of
punctuation alone finds the references and names that contain it. Best match first: the hazard whose
reference is the query, then by relevance (reference and name weigh most, then description, clinical
impact and actions, then causes and controls).
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hazardlog.sorting import SORT_DIGITS

RANK = "search_rank"
MAX_TERMS = 12
MAX_TERM_LENGTH = 60
CONFIG = "english"
# The highlighters wrap matches in these; the indexed text has them removed (migration 0012).
START, STOP = "\x01", "\x02"
REFERENCE_BOOST = 1000.0
_WORD = re.compile(r"[^\W_]+")
_MARKED = re.compile(f"{START}(.*?){STOP}", re.DOTALL)


@dataclass(frozen=True)
class Query:
    text: str  # as typed, trimmed
    terms: tuple[str, ...]  # the words searched for

    @property
    def key(self) -> str:
        """The query as a reference key (Hazard.reference_key), for the exact-reference match."""
        return self.text.casefold()


def parse(text: str) -> Query | None:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        return None
    words = [word[:MAX_TERM_LENGTH].casefold() for word in _WORD.findall(text)]
    return Query(text=text, terms=tuple(dict.fromkeys(words))[:MAX_TERMS])


def search(queryset, text: str):
    """The hazards of `queryset` that match, annotated with RANK (higher is better)."""
    query = parse(text)
    if query is None:
        return queryset
    if connection.vendor == "postgresql":
        return _postgres(queryset, query)
    return _sqlite(queryset, query)


def is_ranked(queryset) -> bool:
    return RANK in queryset.query.annotations or RANK in queryset.query.extra


def _reference_boost(query: Query):
    """The hazard whose reference is the query comes first."""
    # Floating-point, like the rank they are added to: PostgreSQL would read 1000.0 as numeric and convert the
    # sum of every match.
    boost, none = (Cast(Value(number), FloatField()) for number in (REFERENCE_BOOST, 0.0))
    return Case(When(reference_key=query.key, then=boost), default=none, output_field=FloatField())


def _by_substring(queryset, query: Query):
    """For a query of punctuation alone ("-", "/"): references and names that contain it."""
    matches = Q(reference_key__contains=query.key) | Q(name__icontains=query.text)
    return queryset.filter(matches).annotate(**{RANK: _reference_boost(query)})


# --- PostgreSQL ------------------------------------------------------------------------------------


def _tsquery(query: Query) -> str:
    parts = []
    for term in query.terms:
        part = f"'{term}':*"
        if term.isdigit():
            part = f"({part} | '{term.zfill(SORT_DIGITS)}')"
        parts.append(part)
    return " & ".join(parts)


def _search_query(query: Query) -> SearchQuery:
    return SearchQuery(_tsquery(query), search_type="raw", config=CONFIG)


def _document():
    # The column is the database's (migration 0012), not the model's. Unqualified, so that it names the
    # hazard of its own query even when Django relabels this query's tables inside another one.
    return RawSQL("search_document", [], output_field=SearchVectorField())


def _postgres(queryset, query: Query):
    if not query.terms:
        return _by_substring(queryset, query)
    search_query = _search_query(query)
    return (
        queryset.alias(search_document=_document())
        # Both sides have an index (GIN, trigram): the planner ORs their bitmaps, and reads no other hazard.
        .filter(Q(search_document=search_query) | Q(reference_key__contains=query.key))
        .annotate(**{RANK: _reference_boost(query) + SearchRank(F("search_document"), search_query)})
    )


# --- SQLite ----------------------------------------------------------------------------------------


def _match(query: Query) -> str:
    """An FTS5 query from the words alone: each one quoted (no FTS syntax gets through), as a prefix."""
    parts = []
    for term in query.terms:
        part = f'"{term}"*'
        if term.isdigit():
            part = f'({part} OR "{term.zfill(SORT_DIGITS)}")'
        parts.append(part)
    return " AND ".join(parts)


def _sqlite(queryset, query: Query):
    if not query.terms:
        return _by_substring(queryset, query)
    # A join, not a correlated subquery: FTS5 ranks every match in one pass (a subquery per hazard took
    # seconds on 10,000 hazards). QuerySet.extra is the ORM's only way to join a table it has no model for.
    return queryset.extra(  # noqa: S610 (parameters only, the SQL is constant)
        tables=["hazardlog_search"],
        where=["hazardlog_search.rowid = hazardlog_hazard.id", "hazardlog_search MATCH %s"],
        params=[_match(query)],
        select={
            RANK: "(CASE WHEN hazardlog_hazard.reference_key = %s THEN %s ELSE 0.0 END)"
            " - bm25(hazardlog_search, 10.0, 5.0, 2.0, 1.0, 1.0)"
        },
        select_params=[query.key, REFERENCE_BOOST],
    )


# --- Highlighting ----------------------------------------------------------------------------------

# Where a snippet comes from, in the order tried: (column, label).
PLACES = (("details", "Details"), ("causes", "Causes"), ("controls", "Controls and evidence"))


@dataclass
class Highlight:
    name: SafeString  # the whole name, matches marked
    place: str = ""  # where the snippet is from, or ""
    snippet: SafeString = SafeString("")


def marked(text: str) -> SafeString:
    """Text from a highlighter as HTML: every part escaped, the matches in <mark>."""
    parts, last = [], 0
    for match in _MARKED.finditer(text):
        parts.append(escape(text[last : match.start()].replace(START, "").replace(STOP, "")))
        parts.append(f'<mark class="hl-mark">{escape(match.group(1).replace(START, ""))}</mark>')
        last = match.end()
    parts.append(escape(text[last:].replace(START, "").replace(STOP, "")))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


def _name(name: str, query: Query) -> SafeString:
    """The name with its words found marked; failing those (found as part of a word, on PostgreSQL),
    the query itself wherever the name contains it."""
    if START not in name:
        plain = name.replace(START, "").replace(STOP, "")
        pattern = re.compile(re.escape(query.text), re.IGNORECASE)
        name = pattern.sub(lambda found: f"{START}{found.group(0)}{STOP}", plain)
    return marked(name)


def _highlight(name: str, snippets: list[str], query: Query) -> Highlight:
    for (_, label), snippet in zip(PLACES, snippets, strict=True):
        if snippet and START in snippet:
            return Highlight(name=_name(name, query), place=label, snippet=marked(snippet))
    return Highlight(name=_name(name, query))


def highlights(hazards, text: str) -> dict[int, Highlight]:
    """{hazard id: Highlight} for the hazards shown (one page of results), in one query."""
    query = parse(text)
    ids = [hazard.pk for hazard in hazards]
    if query is None or not ids:
        return {}
    found = {}
    if query.terms:
        highlighter = _postgres_highlights if connection.vendor == "postgresql" else _sqlite_highlights
        found = highlighter(ids, query)
    # A hazard found by its reference or part of its name has no words to mark in its text.
    return {hazard.pk: found.get(hazard.pk) or Highlight(name=_name(hazard.name, query)) for hazard in hazards}


def _sqlite_highlights(ids: list[int], query: Query) -> dict[int, Highlight]:
    columns = ", ".join(
        f"snippet(hazardlog_search, {2 + n}, %s, %s, '…', 24)" for n, _ in enumerate(PLACES)
    )  # columns 2–4: details, causes, controls
    marks = [START, STOP]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, highlight(hazardlog_search, 1, %s, %s), {columns} FROM hazardlog_search"  # noqa: S608
            f" WHERE hazardlog_search MATCH %s AND rowid IN ({', '.join(['%s'] * len(ids))})",
            [*marks, *marks * len(PLACES), _match(query), *ids],
        )
        return {row[0]: _highlight(row[1], list(row[2:]), query) for row in cursor.fetchall()}


_CAUSES = (
    "SELECT string_agg(c.description, E'\\n' ORDER BY c.number) FROM hazardlog_cause c"
    " WHERE c.hazard_id = h.id AND NOT c.withdrawn"
)
_CONTROLS = (
    "SELECT string_agg(concat_ws(E'\\n', k.description, k.evidence), E'\\n' ORDER BY k.number)"
    " FROM hazardlog_control k WHERE k.hazard_id = h.id AND NOT k.withdrawn"
)
# Constant SQL, not the ORM: building four headline expressions cost more than running them (make load).
# Marks already in the text are removed first, so that only the highlighter's marks count. A place is
# highlighted only when no place before it has a match, since the first place with one gives the snippet
# (_highlight); OFFSET 0 keeps each LATERAL from being merged into the query above, which would compute it
# again for each place that refers to it.
_POSTGRES_HIGHLIGHTS = f"""
SELECT h.id, n.marked, d.marked, c.marked,
    CASE WHEN strpos(d.marked || c.marked, %(start)s) > 0 THEN '' ELSE ts_headline(%(config)s::regconfig,
        translate(coalesce(({_CONTROLS}), ''), %(marks)s, ''), q.query, %(snippet)s) END
FROM hazardlog_hazard h
    CROSS JOIN to_tsquery(%(config)s::regconfig, %(query)s) AS q(query)
    CROSS JOIN LATERAL (SELECT ts_headline(%(config)s::regconfig, translate(h.name, %(marks)s, ''), q.query,
        %(name)s) AS marked OFFSET 0) AS n
    CROSS JOIN LATERAL (SELECT ts_headline(%(config)s::regconfig, translate(concat(h.description, E'\\n',
        h.clinical_impact, E'\\n', h.actions), %(marks)s, ''), q.query, %(snippet)s) AS marked OFFSET 0) AS d
    CROSS JOIN LATERAL (SELECT CASE WHEN strpos(d.marked, %(start)s) > 0 THEN '' ELSE ts_headline(%(config)s::regconfig,
        translate(coalesce(({_CAUSES}), ''), %(marks)s, ''), q.query, %(snippet)s) END AS marked OFFSET 0) AS c
WHERE h.id = ANY(%(ids)s)
"""  # noqa: S608 (no value in the SQL text: every one is a parameter)
_SELECTORS = f"StartSel='{START}', StopSel='{STOP}'"


def _postgres_highlights(ids: list[int], query: Query) -> dict[int, Highlight]:
    parameters = {
        "config": CONFIG,
        "marks": START + STOP,
        "start": START,
        "query": _tsquery(query),
        "name": f"{_SELECTORS}, HighlightAll=true",
        "snippet": f"{_SELECTORS}, MaxWords=24, MinWords=8, MaxFragments=1, FragmentDelimiter=' … '",
        "ids": ids,
    }
    with connection.cursor() as cursor:
        cursor.execute(_POSTGRES_HIGHLIGHTS, parameters)
        return {pk: _highlight(name, list(snippets), query) for pk, name, *snippets in cursor.fetchall()}
