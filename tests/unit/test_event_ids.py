"""Event ids are UUID version 7: unique, and ordered by the millisecond they were made in."""

import time
import uuid

from shared.contract import new_event
from shared.contract.ids import uuid7


def test_ids_are_rfc_9562_version_7():
    made = uuid7()
    assert made.version == 7
    assert made.variant == uuid.RFC_4122


def test_ids_carry_their_creation_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    made = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_ids_from_later_milliseconds_sort_after_earlier_ones():
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second
    assert str(first) < str(second)  # also as the text stored in inboxes and logs


def test_ids_made_in_the_same_millisecond_are_still_unique():
    ids = [uuid7() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)


def test_new_events_get_version_7_ids():
    event = new_event(
        type="worker-registered",
        source="registry",
        subject="w-1",
        sequence=1,
        area="53.71.01.1001",
        data={"anything": 1},
    )
    assert event.id.version == 7
