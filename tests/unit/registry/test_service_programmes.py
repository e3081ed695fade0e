"""What a delivered service counts for, by the days things happened (deliveries/programmes.py):
every (departure, kind) and (return, kind) is credited exactly once, whatever the order in which
the services, departures and returns are entered."""

from __future__ import annotations

import random
from datetime import date, timedelta

from services.registry.deliveries.programmes import (
    Delivered,
    abroad_on,
    departure_window,
    judge,
    kinds_within,
    months_after,
    preparing,
    reintegrating,
    return_window,
)
from services.registry.fees.occupation import Placement
from shared.contract.codes import (
    PRE_DEPARTURE_SERVICES,
    REINTEGRATION_SERVICES,
    Occupation,
    ServiceKind,
)

K = ServiceKind
D = date


def placement(departed: date, returned: date | None = None) -> Placement:
    return Placement(Occupation.HOUSEKEEPER, departed, returned)


FIRST = placement(D(2022, 3, 1), D(2024, 3, 1))
SECOND = placement(D(2024, 9, 1))
LIFE = [FIRST, SECOND]


def test_six_calendar_months_end_on_the_months_last_day_when_shorter():
    assert months_after(D(2024, 3, 1), 6) == D(2024, 9, 1)
    assert months_after(D(2024, 8, 31), 6) == D(2025, 2, 28)
    assert months_after(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert months_after(D(2024, 11, 15), 6) == D(2025, 5, 15)


def test_a_departure_is_prepared_after_the_return_before_it_and_up_to_its_day():
    assert departure_window(LIFE, FIRST).first is None
    window = departure_window(LIFE, SECOND)
    assert (window.first, window.until) == (D(2024, 3, 2), D(2024, 9, 1))
    assert preparing(D(2020, 1, 1), LIFE) == departure_window(LIFE, FIRST)
    assert preparing(D(2022, 3, 1), LIFE) == departure_window(LIFE, FIRST)  # on the day itself
    assert preparing(D(2023, 1, 1), LIFE) is None  # abroad: it prepares nothing
    assert preparing(D(2024, 3, 1), LIFE) is None  # the day of return belongs to the placement
    assert preparing(D(2024, 3, 2), LIFE) == window
    assert preparing(D(2024, 9, 2), LIFE) is None  # after the last departure: none yet


def test_a_return_is_followed_by_reintegration_for_six_months():
    window = return_window(FIRST)
    assert window is not None and (window.first, window.until) == (D(2024, 3, 1), D(2024, 9, 1))
    assert return_window(SECOND) is None  # not back yet
    alone = [placement(D(2022, 3, 1), D(2024, 3, 1))]
    assert reintegrating(D(2024, 3, 1), LIFE) == window
    assert reintegrating(D(2024, 9, 1), LIFE) == window
    assert reintegrating(D(2024, 2, 28), LIFE) is None  # still abroad
    assert reintegrating(D(2024, 9, 2), alone) is None  # more than six months
    assert reintegrating(D(2021, 1, 1), LIFE) is None


def test_abroad_while_a_placement_is_in_force_its_day_of_return_included():
    assert abroad_on(D(2022, 3, 1), LIFE) and abroad_on(D(2024, 3, 1), LIFE)
    assert not abroad_on(D(2024, 3, 2), LIFE) and not abroad_on(D(2022, 2, 28), LIFE)
    assert abroad_on(D(2026, 1, 1), LIFE)  # the second placement has not ended


def test_judge_credits_each_kind_once_and_says_when_it_is_the_first():
    before = [Delivered(K.PRE_DEPARTURE_INFORMATION, D(2024, 5, 1))]
    training = judge(K.PRE_DEPARTURE_TRAINING, D(2024, 6, 1), LIFE, before, to_worker=True)
    assert training.prepares_departure_on == D(2024, 9, 1)
    assert training.first_preparation is False and training.first_of_kind
    again = judge(K.PRE_DEPARTURE_INFORMATION, D(2024, 6, 1), LIFE, before, to_worker=True)
    assert again.prepares_departure_on is None and not again.first_of_kind
    first = judge(K.RIGHTS_TRAINING, D(2024, 6, 1), LIFE, [], to_worker=True)
    assert first.first_preparation
    # Only the worker's own services count for departures and returns.
    family = judge(K.PRE_DEPARTURE_TRAINING, D(2024, 6, 1), LIFE, [], to_worker=False)
    assert family.prepares_departure_on is None and family.first_of_kind
    coop = judge(K.COOPERATIVE, D(2024, 4, 1), LIFE, [], to_worker=True)
    assert coop.reintegrates_return_on == D(2024, 3, 1) and coop.first_reintegration
    parenting = judge(K.COMMUNITY_PARENTING, D(2023, 4, 1), LIFE, [], to_worker=False)
    assert parenting.worker_abroad and parenting.reintegrates_return_on is None


Credit = tuple[str, date, ServiceKind]  # ("departure" or "return", its day, the kind)
Entry = tuple[str, Placement | None, Delivered | None]  # depart/return a placement, or a service


def _credits_by_entry_order(
    services: list[Delivered], life: list[Placement], order: list[int]
) -> set[Credit]:
    """Enter the departures, returns and services in ``order`` (indices into one list of
    entries) and collect what each departure, return and service credits, as the registry does:
    a departure or return names the services already entered in its window, a service names the
    departure or return it newly counts for; no credit is made twice."""
    entries: list[Entry] = [("service", None, s) for s in services]
    for p in life:
        entries.append(("depart", p, None))
        if p.returned_on is not None:
            entries.append(("return", p, None))
    known: list[Placement] = []
    recorded: list[Delivered] = []
    credits: set[Credit] = set()

    def credit(what: str, day: date | None, kind: ServiceKind) -> None:
        assert day is not None and (what, day, kind) not in credits
        credits.add((what, day, kind))

    for what, item, service in [entries[i] for i in order]:
        if service is not None:
            j = judge(service.kind, service.delivered_on, known, recorded, to_worker=True)
            recorded.append(service)
            if j.prepares_departure_on is not None:
                credit("departure", j.prepares_departure_on, service.kind)
            if j.reintegrates_return_on is not None:
                credit("return", j.reintegrates_return_on, service.kind)
        elif what == "depart" and item is not None:
            window = departure_window(known, item)
            known.append(Placement(item.occupation, item.departed_on, None))
            for kind in kinds_within(window, recorded, PRE_DEPARTURE_SERVICES):
                credit("departure", item.departed_on, kind)
        elif item is not None:
            known = [p if p.departed_on != item.departed_on else item for p in known]
            back = return_window(item)
            assert back is not None
            for kind in kinds_within(back, recorded, REINTEGRATION_SERVICES):
                credit("return", item.returned_on, kind)
    return credits


def test_credits_are_the_same_whatever_the_order_of_entry():
    rng = random.Random(21)
    life = [
        placement(D(2019, 5, 1), D(2021, 5, 1)),
        placement(D(2021, 10, 1), D(2023, 10, 1)),
        placement(D(2024, 2, 1)),
    ]
    kinds = list(ServiceKind)
    for _ in range(200):
        services = [
            Delivered(rng.choice(kinds), D(2018, 6, 1) + timedelta(days=rng.randrange(0, 6 * 365)))
            for _ in range(rng.randrange(1, 7))
        ]
        entries = len(services) + 5
        life_steps = list(range(len(services), entries))  # depart, return, depart, return, depart
        results = set()
        for _ in range(6):
            slots = sorted(rng.sample(range(entries), len(life_steps)))
            order = [-1] * entries
            for slot, step in zip(slots, life_steps, strict=True):
                order[slot] = step
            rest = iter(rng.sample(range(len(services)), len(services)))
            order = [step if step >= 0 else next(rest) for step in order]
            results.add(frozenset(_credits_by_entry_order(services, life, order)))
        assert len(results) == 1, services
        # And they are the ones the days give.
        (credits,) = results
        expected = set()
        for kind, day in ((s.kind, s.delivered_on) for s in services):
            for p in life:
                window = departure_window(life, p)
                if kind in PRE_DEPARTURE_SERVICES and window.holds(day):
                    expected.add(("departure", p.departed_on, kind))
                back = return_window(p)
                if kind in REINTEGRATION_SERVICES and back is not None and back.holds(day):
                    expected.add(("return", p.returned_on, kind))
        assert credits == expected


def test_kinds_are_listed_in_the_code_lists_order():
    window = departure_window(LIFE, SECOND)
    services = [
        Delivered(K.RIGHTS_TRAINING, D(2024, 5, 1)),
        Delivered(K.PRE_DEPARTURE_INFORMATION, D(2024, 5, 2)),
        Delivered(K.COOPERATIVE, D(2024, 5, 3)),
    ]
    assert kinds_within(window, services, PRE_DEPARTURE_SERVICES) == [
        K.PRE_DEPARTURE_INFORMATION,
        K.RIGHTS_TRAINING,
    ]
    assert not PRE_DEPARTURE_SERVICES & REINTEGRATION_SERVICES
