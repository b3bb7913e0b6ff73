"""A step's subject has one written form, read and written in one place (states/subjects.py): the form the audit
chain has always hashed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.subjects import CASE, RDPP, SUB_CALL, Subject, kind_of

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(("subject", "text"), [
    (CASE, "case"),
    (SUB_CALL, "sub_call"),
    (RDPP, "rdpp"),
    (Subject.offer(3), "offer:3"),
    (Subject.member("Jan Kowalski"), "member:Jan Kowalski"),
    (Subject.comment(12), "comment:12"),
    (Subject.micro_grant("MG/2026/001"), "micro_grant:MG/2026/001"),
])
def test_each_subject_is_written_as_the_chain_has_always_hashed_it_and_reads_back(subject, text):
    assert str(subject) == text
    assert Subject.parse(text) == subject
    assert kind_of(text) == subject.kind


def test_a_key_may_hold_the_separator_and_only_a_number_is_a_number():
    assert Subject.parse("member:Dr: Nowak") == Subject("member", "Dr: Nowak")
    assert Subject.offer(7).number == 7 and Subject.parse("member:Jan").number is None
    assert CASE.number is None and Subject("offer", "²").number is None  # a superscript is not a number


def test_a_kind_is_one_word_and_a_subject_cannot_change():
    with pytest.raises(ValueError):
        Subject("offer:3")
    with pytest.raises(ValueError):
        Subject("")
    with pytest.raises(AttributeError):
        Subject.offer(1).key = "2"


@given(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.none() | st.text(max_size=20))
def test_parse_is_the_inverse_of_the_written_form(kind, key):
    subject = Subject(kind, key)
    assert Subject.parse(str(subject)) == subject
