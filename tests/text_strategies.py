"""Generated text for the round-trip tests: what a CSO may type, hostile to a spreadsheet."""

from hypothesis import strategies as st

from hazardlog.workbook.numbering import is_no_entry

characters = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")


def usable(text: str) -> bool:
    """Text as the app stores it: trimmed (forms strip), not empty, not a word the template uses for 'nothing'."""
    return text == text.strip() and text != "" and not is_no_entry(text)


def texts(hostile: list[str], max_size: int) -> st.SearchStrategy[str]:
    """One of `hostile`, any text up to `max_size` characters, or a hostile line followed by another line."""
    return st.one_of(
        st.sampled_from(hostile),
        st.text(characters, min_size=1, max_size=max_size),
        st.builds(
            lambda a, b: f"{a}\n{b}", st.sampled_from(hostile), st.text(characters, min_size=1, max_size=max_size // 2)
        ),
    ).filter(usable)
