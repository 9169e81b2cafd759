"""Caseload history rules (pure, in memory): append-only, close the day before, same-day correction."""

from __future__ import annotations

from datetime import date

from warehouse.imports.assignments import Assignment, Caseload, Outcome

K = "3601-000001"


def caseload(*rows: Assignment) -> Caseload:
    c = Caseload()
    for i, a in enumerate(rows, start=1):
        a.id = i
        c.history.setdefault(a.id_kpm, []).append(a)
    return c


def test_assign__no_history__opens() -> None:
    c = Caseload()
    assert c.assign(K, "P1", date(2020, 1, 1))[0] is Outcome.OPENED
    assert [(a.pendamping_id, a.mulai, a.selesai) for a in c.new] == [("P1", date(2020, 1, 1), None)]


def test_assign__same_pendamping__unchanged() -> None:
    c = caseload(Assignment(K, "P1", date(2020, 1, 1)))
    assert c.assign(K, "P1", date(2020, 6, 1))[0] is Outcome.UNCHANGED
    assert not c.new and not c.closed


def test_assign__new_pendamping_later__closes_day_before_and_opens() -> None:
    c = caseload(Assignment(K, "P1", date(2020, 1, 1)))
    outcome, before = c.assign(K, "P2", date(2020, 3, 1))
    assert outcome is Outcome.OPENED and before is not None and before.pendamping_id == "P1"
    assert c.closed == {1: date(2020, 2, 29)}
    assert [(a.pendamping_id, a.mulai) for a in c.new] == [("P2", date(2020, 3, 1))]


def test_assign__same_start_day__corrects_in_place() -> None:
    c = caseload(Assignment(K, "P1", date(2020, 1, 1)))
    assert c.assign(K, "P2", date(2020, 1, 1))[0] is Outcome.CORRECTED
    assert c.corrected == {1: "P2"} and not c.new


def test_assign__before_open_or_inside_closed_history__conflict() -> None:
    c = caseload(
        Assignment(K, "P1", date(2019, 1, 1), date(2019, 12, 31)),
        Assignment(K, "P2", date(2020, 1, 1)),
    )
    assert c.assign(K, "P3", date(2019, 6, 1))[0] is Outcome.CONFLICT
    closed_only = caseload(Assignment(K, "P1", date(2019, 1, 1), date(2019, 12, 31)))
    assert closed_only.assign(K, "P3", date(2019, 12, 31))[0] is Outcome.CONFLICT
    assert closed_only.assign(K, "P3", date(2020, 1, 1))[0] is Outcome.OPENED


def test_assign__recorded_assignment_again__unchanged() -> None:
    """Should recognise an assignment already in the history (a re-imported caseload sheet)."""
    c = caseload(
        Assignment(K, "P1", date(2019, 1, 1), date(2019, 12, 31)),
        Assignment(K, "P2", date(2020, 1, 1)),
    )
    assert c.assign(K, "P1", date(2019, 1, 1))[0] is Outcome.UNCHANGED
    assert c.assign(K, "P2", date(2020, 1, 1))[0] is Outcome.UNCHANGED
