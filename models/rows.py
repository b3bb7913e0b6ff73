"""Constructing new rows on the hot paths (the tick writes an audit record and its notifications per deadline).

SQLModel's constructor sets each field through pydantic's and SQLAlchemy's ``__setattr__`` (~90 µs for an audit
record); table models are not validated on construction anyway, so ``model_construct`` (defaults applied, no
validation) plus the ORM's instance state gives the same pending row for ~12 µs.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import SQLModel

T = TypeVar("T", bound=SQLModel)


def new_row(model: type[T], **values: Any) -> T:
    """A new, transient ORM row of ``model`` holding ``values`` (and the model's defaults), ready to ``add``."""
    row = model.model_construct(**values)
    model._sa_class_manager._new_state_if_none(row)  # what SQLAlchemy's instrumented __init__ does first
    return row
