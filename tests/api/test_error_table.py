"""Every error of the core's tree has its HTTP status and code in the edge's one table."""

from __future__ import annotations

import inspect

from bot.core import errors
from handlers.errors import ERROR_STATUS, status_of


def test_every_core_error_has_a_row() -> None:
    tree = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.ReviewbotError) and cls is not errors.ReviewbotError
    }
    assert tree == set(ERROR_STATUS)


def test_the_core_tree_carries_no_http() -> None:
    for cls in ERROR_STATUS:
        assert not {"status", "code", "status_code"} & set(vars(cls)), cls


def test_a_subclass_without_its_own_row_answers_as_its_base() -> None:
    class Narrower(errors.NotFound):
        pass

    assert status_of(Narrower("x")) == (404, "NOT_FOUND")
    assert status_of(errors.PayloadTooLarge("x")) == (413, "PAYLOAD_TOO_LARGE")
