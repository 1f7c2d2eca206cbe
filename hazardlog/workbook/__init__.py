"""The NHS hazard log workbook, pure: no database access. `layout` is the single source of the
template's sheets, columns and header synonyms; `guard`, `reader` and `writer` build on it."""
