"""The audit trail of a hazard and of a log, read from django-simple-history (DCB0129 3.1.4, 7.3.4).

Each entry says when, who, why, what object and which fields changed (old → new). Historical rows are
fetched with one query per model, foreign keys are resolved to names with one query per related model,
so the number of queries does not grow with the number of changes.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db import connection, models
from django.utils import formats

from hazardlog.models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    LikelihoodLevel,
    LogIssue,
    RiskAssessment,
    RiskMatrix,
    RiskRating,
    SeverityLevel,
    Stage,
)
from hazardlog.presenters import control_title

LOG_HISTORY_PAGE_SIZE = 50


@dataclass(frozen=True)
class FieldChange:
    label: str  # the field's verbose name
    old: str | None  # None when the object was just added
    new: str | None  # None when the object was deleted

    @property
    def added(self) -> bool:
        return self.old is None


@dataclass(frozen=True)
class Entry:
    when: datetime
    who: str
    why: str
    subject: str  # "Hazard", "Cause 2", "Control 3 (additional, Design)", "Initial risk", "Issue 1.0"
    action: str  # added, changed, withdrawn, restored, deleted; "approved" for an issue
    changes: tuple[FieldChange, ...]
    hazard_id: int | None = None
    hazard_reference: str = ""

    @property
    def changed_labels(self) -> str:
        return ", ".join(change.label for change in self.changes)


# How each model's history is shown: which fields, and how an object is named.
_PARENT_FIELDS = {"id", "log", "hazard"}


def _shown_fields(model) -> list[models.Field]:
    # The rating is not editable (it is looked up) but a change of rating is what a CSO looks for first.
    return [
        f
        for f in model._meta.concrete_fields
        if (f.editable or f.name == "rating") and f.name not in _PARENT_FIELDS and not f.primary_key
    ]


def _subject(record) -> str:
    model = record.instance_type
    if model is Hazard:
        return "Hazard"
    if model is HazardLog:
        return "Log details"
    if model is Cause:
        return f"Cause {record.number}"
    if model is Control:
        return control_title(record.number, record.kind, record.control_type)
    if model is RiskAssessment:
        return f"{dict(Stage.choices).get(record.stage, record.stage)} risk"
    return model._meta.verbose_name.capitalize()


class _Names:
    """Display names of the rows foreign keys point at, fetched with one query per related model."""

    _LABELS = {
        SeverityLevel: "name",
        LikelihoodLevel: "name",
        RiskRating: "number",
        RiskMatrix: "name",
    }

    def __init__(self, records):
        wanted = defaultdict(set)
        for record in records:
            for field in _shown_fields(record.instance_type):
                if isinstance(field, models.ForeignKey):
                    value = getattr(record, field.attname)
                    if value is not None:
                        wanted[field.related_model].add(value)
        self._names = {}
        for model, ids in wanted.items():
            label = self._LABELS.get(model)
            if label is None:
                rows = ((obj.pk, str(obj)) for obj in model._default_manager.filter(pk__in=ids))
            else:
                rows = model._default_manager.filter(pk__in=ids).values_list("pk", label)
            self._names.update({(model, pk): str(name) for pk, name in rows})

    def get(self, model, pk) -> str:
        return self._names.get((model, pk), f"#{pk} (no longer exists)")


def _display(field, value, names: _Names) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(field, models.ForeignKey):
        return names.get(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "j F Y")
    return str(value)


def _cause_list(numbers) -> str | None:
    return ", ".join(str(n) for n in sorted(numbers)) or None


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _action(record, previous, changes) -> str:
    if record.history_type == "+":
        return "added"
    if record.history_type == "-":
        return "deleted"
    was = getattr(previous, "withdrawn", False) if previous is not None else False
    now = getattr(record, "withdrawn", False)
    if now and not was:
        return "withdrawn"
    if was and not now:
        return "restored"
    return "changed"


def _entries_for(records, names: _Names, causes_of=None, cause_numbers=None, only=None) -> list[tuple]:
    """Entries for one model's historical records (all of one model, any number of objects).

    `causes_of` maps a control's history_id to the set of cause ids it answered then; `only`
    limits the result to these history ids (their earlier records are still used for the diff).
    """
    by_object = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    entries = []
    for versions in by_object.values():
        versions.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for record in versions:
            if only is None or record.history_id in only:
                entry = _entry(record, previous, names, causes_of, cause_numbers)
                if entry is not None:
                    entries.append(((record.history_date, record.history_id), entry))
            previous = record
    return entries


def _entry(record, previous, names, causes_of, cause_numbers) -> Entry | None:
    fields = _shown_fields(record.instance_type)
    changes = []
    if record.history_type == "+" or previous is None:
        for field in fields:
            new = _display(field, getattr(record, field.attname), names)
            if new is not None:
                changes.append(FieldChange(field.verbose_name, None, new))
    elif record.history_type != "-":
        # diff_against (model_to_dict) skips fields that are not editable, such as the rating.
        delta = record.diff_against(previous, included_fields=[f.name for f in fields if f.editable])
        differing = {change.field: (change.old, change.new) for change in delta.changes}
        for field in fields:
            if not field.editable and getattr(previous, field.attname) != getattr(record, field.attname):
                differing[field.name] = (getattr(previous, field.attname), getattr(record, field.attname))
        for field in fields:
            if field.name in differing:
                old, new = (_display(field, value, names) for value in differing[field.name])
                changes.append(FieldChange(field.verbose_name, old or "", new or ""))
    if causes_of is not None and record.history_type != "-":
        now = {cause_numbers.get(pk, pk) for pk in causes_of.get(record.history_id, ())}
        was = {cause_numbers.get(pk, pk) for pk in causes_of.get(previous.history_id, ())} if previous else set()
        if now != was and (previous is not None or now):
            label = "causes answered"
            if previous is None:
                changes.append(FieldChange(label, None, _cause_list(now)))
            else:
                changes.append(FieldChange(label, _cause_list(was) or "", _cause_list(now) or ""))
    if not changes and record.history_type == "~":
        return None  # saved without changing anything shown: not part of the trail a reader needs
    return Entry(
        when=record.history_date,
        who=_who(record),
        why=record.history_change_reason or "",
        subject=_subject(record),
        action=_action(record, previous, changes),
        changes=tuple(changes),
        hazard_id=record.id if record.instance_type is Hazard else getattr(record, "hazard_id", None),
    )


def _control_causes(control_history_ids) -> dict[int, set[int]]:
    """Cause ids each historical control record answered, in one query."""
    through = apps.get_model("hazardlog", "HistoricalControl_causes")
    links = defaultdict(set)
    for history_id, cause_id in through.objects.filter(history_id__in=control_history_ids).values_list(
        "history_id", "cause_id"
    ):
        links[history_id].add(cause_id)
    return links


def _cause_numbers(cause_records, links) -> dict[int, int]:
    """Cause id → its latest number: from the cause history already fetched, else one query."""
    numbers = {}
    for record in sorted(cause_records, key=lambda r: (r.history_date, r.history_id)):
        numbers[record.id] = record.number
    missing = {pk for ids in links.values() for pk in ids} - numbers.keys()
    if missing:
        numbers.update(Cause.objects.filter(pk__in=missing).values_list("pk", "number"))
    return numbers


def _newest_first(pairs) -> list[Entry]:
    """Entries from (sort key, entry) pairs, the key being (date, id)."""
    pairs.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in pairs]


def _history(model):
    return model.history.model.objects.select_related("history_user")


def hazard_history(hazard) -> list[Entry]:
    """Every recorded change to a hazard, its causes, controls and risk assessments, newest first."""
    return _newest_first(
        _hazard_pairs(
            hazards=list(_history(Hazard).filter(id=hazard.pk)),
            causes=list(_history(Cause).filter(hazard_id=hazard.pk)),
            controls=list(_history(Control).filter(hazard_id=hazard.pk)),
            assessments=list(_history(RiskAssessment).filter(hazard_id=hazard.pk)),
        )
    )


def changes_since(hazard, revision: int, opened_at=None) -> list[Entry]:
    """What a stale editor missed: the hazard's history entries after the page was opened (`opened_at`).

    Without `opened_at` (a page rendered before it was carried): from the first save of the hazard after
    `revision` on; a save writes the hazard first, then its causes, controls and assessments. A change to
    a cause, control or assessment alone moves the revision without a hazard record, and only
    `opened_at` finds it.
    """
    if opened_at is not None:
        return [entry for entry in hazard_history(hazard) if entry.when > opened_at]
    later = hazard.history.filter(revision__gt=revision).order_by("history_date")
    since = later.values_list("history_date", flat=True).first()
    return [] if since is None else [entry for entry in hazard_history(hazard) if entry.when >= since]


def _hazard_pairs(hazards, causes, controls, assessments, only=None) -> list[tuple]:
    """(sort key, entry) pairs; `only` maps each track to the history ids wanted (history ids are per table)."""
    only = only or {}
    names = _Names([*hazards, *causes, *controls, *assessments])
    links = _control_causes([r.history_id for r in controls]) if controls else {}
    numbers = _cause_numbers(causes, links)
    return [
        *_entries_for(hazards, names, only=only.get("hazard")),
        *_entries_for(causes, names, only=only.get("cause")),
        *_entries_for(controls, names, causes_of=links, cause_numbers=numbers, only=only.get("control")),
        *_entries_for(assessments, names, only=only.get("assessment")),
    ]


# The log's history is paged in the database: one UNION of (date, id, track) across the five
# historical tables and the log's issues gives the page; then each track's rows on the page are
# fetched with one query.
def _log_sources(log) -> dict:
    hazard_ids = Hazard.objects.filter(log=log).values("id")
    return {
        "log": _history(HazardLog).filter(id=log.pk),
        "hazard": _history(Hazard).filter(log_id=log.pk),
        "cause": _history(Cause).filter(hazard_id__in=hazard_ids),
        "control": _history(Control).filter(hazard_id__in=hazard_ids),
        "assessment": _history(RiskAssessment).filter(hazard_id__in=hazard_ids),
    }


def log_history(log, page_number=1, per_page: int = LOG_HISTORY_PAGE_SIZE) -> Page:
    """A page of the log's history, newest first: changes to its details and to each of its hazards.

    `page.object_list` holds the page's entries; hazard entries carry the hazard's reference.
    """
    sources = _log_sources(log)
    # Each part of a UNION must be unordered (SQLite refuses ORDER BY there); the union is ordered.
    keys = [
        qs.select_related(None)
        .order_by()
        .annotate(track=models.Value(track, output_field=models.CharField()))
        .values_list("history_date", "history_id", "track")
        for track, qs in sources.items()
    ]
    keys.append(
        LogIssue.objects.filter(log=log)
        .order_by()
        .annotate(track=models.Value("issue", output_field=models.CharField()))
        .values_list("approved_at", "id", "track")
    )
    union = keys[0].union(*keys[1:], all=True).order_by("-history_date", "-history_id")
    page = Paginator(union, per_page).get_page(page_number)
    on_page = defaultdict(set)
    latest = {}
    for when, row_id, track in page.object_list:
        on_page[track].add(row_id)
        latest[track] = max(latest.get(track, when), when)
    fetched = defaultdict(list)
    for track, ids in on_page.items():
        if track == "issue":
            continue
        # The page's records and the earlier records of the same objects, which the diff needs.
        qs = sources[track]
        objects = qs.filter(history_id__in=ids).values("id")
        fetched[track] = list(qs.filter(id__in=objects, history_date__lte=latest[track]))
    pairs = _hazard_pairs(fetched["hazard"], fetched["cause"], fetched["control"], fetched["assessment"], on_page)
    if fetched["log"]:
        pairs += _entries_for(fetched["log"], _Names(fetched["log"]), only=on_page["log"])
    if on_page["issue"]:
        pairs += _issue_pairs(on_page["issue"])
    references = dict(
        Hazard.objects.filter(pk__in={e.hazard_id for _, e in pairs if e.hazard_id}).values_list("pk", "reference")
    )
    page.object_list = [
        replace(entry, hazard_reference=references.get(entry.hazard_id, "")) for entry in _newest_first(pairs)
    ]
    return page


def _issue_pairs(ids) -> list[tuple]:
    """The approval of each issue (DCB0129 3.3.2) as an entry; the stored files are not loaded."""
    approved = (
        LogIssue.objects.filter(pk__in=ids)
        .select_related("approved_by")
        .only("id", "number", "meaning", "approved_at", "approved_by")
    )
    return [
        (
            (issue.approved_at, issue.pk),
            Entry(
                when=issue.approved_at,
                who=issue.approved_by.get_full_name() or issue.approved_by.get_username(),
                why=issue.meaning,
                subject=f"Issue {issue.number}",
                action="approved",
                changes=(),
            ),
        )
        for issue in approved
    ]


# Writing creation history in bulk -----------------------------------------------------------------------
#
# A large import creates tens of thousands of rows. simple-history's bulk_create_with_history builds a model
# instance and a historical instance per row and passes every value through Django's SQL compiler: about half
# of an import's time. These write the same rows with plain SQL: each new row's creation history is copied
# in the database from the row just inserted, so it holds exactly what the row holds. On PostgreSQL the live
# rows go by COPY (psycopg escapes every value), with ids taken from the table's sequence beforehand, rather
# than by INSERTs of a thousand rows whose tens of thousands of parameters the server parses one by one.


class _BulkCursor:
    """The bulk writers' cursor. On PostgreSQL, psycopg's RawCursor on Django's own connection (so in the
    caller's transaction): rows go by COPY, and statements are written with PostgreSQL's `$n`, which psycopg
    does not rewrite in Python as it does every `%s` (that was a fifth of a 5,000-hazard import's time when
    rows went by INSERTs of thousands of parameters, as they still do on SQLite, through Django's cursor).
    `mark()` gives the next parameter's placeholder."""

    def __enter__(self):
        self.postgresql = connection.vendor == "postgresql"
        if self.postgresql:
            import psycopg

            connection.ensure_connection()
            self.cursor = psycopg.RawCursor(connection.connection)
        else:
            self.cursor = connection.cursor()
        self.count = 0
        return self

    def __exit__(self, *exc_info):
        self.cursor.close()

    def mark(self) -> str:
        self.count += 1
        return f"${self.count}" if self.postgresql else "%s"

    def marks(self, n: int) -> str:
        if not self.postgresql:
            return ", ".join(["%s"] * n)
        return ", ".join(self.mark() for _ in range(n))

    def ids_in(self, column: str, ids: list) -> tuple[str, list]:
        """`column` among `ids`: one array parameter on PostgreSQL, a list of them on SQLite."""
        if self.postgresql:
            return f"{column} = ANY({self.mark()})", [list(ids)]
        return f"{column} IN ({self.marks(len(ids))})", list(ids)

    def execute(self, sql: str, params: list):
        self.count = 0  # the next statement's placeholders start again at $1
        # psycopg's own errors as Django's (IntegrityError, DataError…), as Django's cursor raises them: callers
        # catch DatabaseError to refuse an import with a message rather than fail.
        with connection.wrap_database_errors:
            self.cursor.execute(sql, params)
        return self.cursor

    def batches(self, items: list, size: int):
        """`items` in slices of `size` on SQLite; whole on PostgreSQL, where a list is one array parameter."""
        size = len(items) if self.postgresql else size
        return (items[start : start + size] for start in range(0, len(items), size))

    def new_ids(self, model, n: int) -> list[int]:
        """PostgreSQL: `n` ids for new rows of `model`, from its primary key's sequence (an identity column's
        too), ascending as INSERT would give them; no other writer can be given them. The sequence is looked
        up once (MATERIALIZED): for each id, the lookup took ten times as long as the nextval."""
        opts = model._meta
        sql = (
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s, generate_series(1, $3)"
        )
        rows = self.execute(sql, [connection.ops.quote_name(opts.db_table), opts.pk.column, n]).fetchall()
        return sorted(value for (value,) in rows)

    def copy_rows(self, table: str, columns: list[str], rows) -> None:
        """PostgreSQL: COPY `rows` (sequences of values of the `columns`) into `table`. It fires the table's
        row and statement triggers as an INSERT does, the statement ones once for all the rows."""
        quote = connection.ops.quote_name
        with (
            connection.wrap_database_errors,
            self.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)


def _placeholder(field, mark: str) -> str:
    """A parameter in a SELECT list. PostgreSQL types a bare parameter there as text, which an integer or
    timestamp column refuses: cast it (never a text column, where a cast to varchar(n) would cut)."""
    if connection.vendor == "postgresql" and not isinstance(field, models.CharField | models.TextField):
        return f"CAST({mark} AS {field.db_type(connection)})"
    return mark


def _prepared(field):
    """How a value of `field` goes to the database: Django's own conversion where it matters (JSON, dates),
    the value itself otherwise (text, numbers, ids, booleans: the drivers take them as they are)."""
    if isinstance(field, models.JSONField | models.DateField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _rows_per_statement(columns: int) -> int:
    """Rows of `columns` parameters in one INSERT: within the driver's limit of parameters per statement."""
    if connection.vendor == "sqlite":
        import sqlite3

        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    else:
        limit = 65_535  # PostgreSQL's wire protocol
    return max(1, min(1_000, limit // columns))


def insert_with_history(
    model, columns: list[str], rows: list[tuple], *, key: tuple[str, ...], user, reason, when, history_values=None
):
    """Insert `rows` (tuples of the `columns`, attnames of `model`) and the creation history row of each, as
    `simple_history.utils.bulk_create_with_history(…, default_user=user, default_change_reason=reason,
    default_date=when)` would: history type "+", the user, the reason, the date, every tracked field. The
    model's other fields take their defaults (`when` for auto_now fields), as a new instance would.
    `history_values` ({field name: value}) records a value other than the row's in the history (as for a
    hazard inserted with revision 0, which the history records as the 1 a new hazard has).
    Returns {values of the `key` columns (as given): id} of the rows inserted. Runs in the caller's transaction."""
    if not rows:
        return {}
    opts, history = model._meta, model.history.model
    quote = connection.ops.quote_name
    fields = [opts.get_field(name) for name in columns]
    # Every other field as a new instance would have it: its default, or the moment for an auto_now field.
    rest = [f for f in opts.concrete_fields if f is not opts.pk and f.attname not in columns]
    defaults = tuple(
        when if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in rest
    )
    fields += rest
    rows = [(*row, *defaults) for row in rows]
    if connection.vendor == "postgresql":  # COPY returns nothing: the keys are the rows' own, before conversion
        at = [fields.index(opts.get_field(name)) for name in key]
        keys = [tuple(row[i] for i in at) for row in rows]
    convert = [(i, prep) for i, field in enumerate(fields) if (prep := _prepared(field))]
    if convert:
        rows = [list(row) for row in rows]
        for row in rows:
            for i, prep in convert:
                row[i] = prep(row[i])
    pk = quote(opts.pk.column)
    returning = ", ".join([pk, *(quote(opts.get_field(name).column) for name in key)])
    insert = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    tracked = history.tracked_fields
    overrides = history_values or {}
    extra = [history._meta.get_field(name) for name in ("history_date", "history_change_reason", "history_type")]
    extra.append(history._meta.get_field("history_user"))

    def copy(bulk, ids) -> tuple[str, list]:
        select = ", ".join(_placeholder(f, bulk.mark()) if f.name in overrides else quote(f.column) for f in tracked)
        stamped = ", ".join(_placeholder(f, bulk.mark()) for f in extra)
        where, id_params = bulk.ids_in(pk, ids)
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608 — names from our models, values as parameters
            f"({', '.join(quote(history._meta.get_field(f.name).column) for f in tracked)}, "
            f"{', '.join(quote(f.column) for f in extra)}) "
            f"SELECT {select}, {stamped} FROM {quote(opts.db_table)} WHERE {where}"
        )
        return sql, [*stamp, *id_params]

    stamp = [
        *(f.get_db_prep_save(overrides[f.name], connection) for f in tracked if f.name in overrides),
        extra[0].get_db_prep_save(when, connection),
        reason,
        "+",
        getattr(user, "pk", None),
    ]
    with _BulkCursor() as bulk:
        if bulk.postgresql:
            ids = bulk.new_ids(model, len(rows))
            with_ids = ((pk_value, *row) for pk_value, row in zip(ids, rows, strict=True))
            bulk.copy_rows(opts.db_table, [opts.pk.column, *(f.column for f in fields)], with_ids)
            bulk.execute(*copy(bulk, ids))
            return dict(zip(keys, ids, strict=True))
        found = {}
        for batch in bulk.batches(rows, _rows_per_statement(len(fields))):
            placeholders = ", ".join(f"({bulk.marks(len(fields))})" for _ in batch)
            returned = bulk.execute(
                insert + placeholders + f" RETURNING {returning}",  # noqa: S608 — names from our models
                [value for row in batch for value in row],
            ).fetchall()
            found.update({tuple(values): pk_value for pk_value, *values in returned})
            bulk.execute(*copy(bulk, [pk_value for pk_value, *_ in returned]))
    return found


def link_with_history(m2m_field, links: list[tuple[int, int]]) -> None:
    """Insert the rows of a tracked many-to-many field (such as `Control._meta.get_field("causes")`), as
    (object id, related id) pairs for objects created by `insert_with_history` in this transaction, and copy
    each into the history row of its object's creation, as simple-history does for the m2m fields it tracks
    when an object is saved (its bulk helper leaves them out)."""
    if not links:
        return
    quote = connection.ops.quote_name
    through, left, right = (
        m2m_field.remote_field.through,
        m2m_field.m2m_field_name(),
        m2m_field.m2m_reverse_field_name(),
    )
    history = m2m_field.model.history.model
    link_history = getattr(history, m2m_field.name).model
    t_left, t_right = (quote(through._meta.get_field(name).column) for name in (left, right))
    table = quote(through._meta.db_table)
    with _BulkCursor() as bulk:
        # Many rows a statement, not executemany: PostgreSQL's statement triggers (migration 0008) run once
        # per statement, and executemany is one statement per row.
        if bulk.postgresql:
            bulk.copy_rows(through._meta.db_table, [through._meta.get_field(n).column for n in (left, right)], links)
        else:
            for batch in bulk.batches(links, _rows_per_statement(2)):
                values = ", ".join(f"({bulk.marks(2)})" for _ in batch)
                bulk.execute(
                    f"INSERT INTO {table} ({t_left}, {t_right}) VALUES {values}",  # noqa: S608
                    [value for link in batch for value in link],
                )
        h_pk = quote(history._meta.pk.column)
        h_id = quote(history._meta.get_field("id").column)
        columns = [quote(link_history._meta.get_field(name).column) for name in ("history", "id", left, right)]
        copy = (
            f"INSERT INTO {quote(link_history._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT h.{h_pk}, l.{quote(through._meta.pk.column)}, l.{t_left}, l.{t_right} "
            f"FROM {table} l JOIN {quote(history._meta.db_table)} h ON h.{h_id} = l.{t_left} "
            f"AND h.{quote('history_type')} = '+' WHERE "
        )
        for ids in bulk.batches(sorted({left_id for left_id, _ in links}), _rows_per_statement(1)):
            where, params = bulk.ids_in(f"l.{t_left}", ids)
            bulk.execute(copy + where, params)
