"""The pure decisions of bulk deactivation (no database)."""

from __future__ import annotations

from bot.core.deactivation import Move, OpenReview, leaving, pair_moves


def test_leaving_keeps_slot_order() -> None:
    review = OpenReview("pr", "author", ("z", "a"))
    assert leaving(review, {"a", "z", "q"}) == ["z", "a"]
    assert leaving(review, {"q"}) == []


def test_pairing_hands_out_replacements_in_order_then_none() -> None:
    assert pair_moves("pr", ["a", "b"], ["n1"]) == [Move("pr", "a", "n1"), Move("pr", "b", None)]
    assert pair_moves("pr", ["a"], ["n1", "n2"]) == [Move("pr", "a", "n1")]
    assert pair_moves("pr", [], ["n1"]) == []
