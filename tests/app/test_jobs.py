"""The server-wide fit queue: fits start in order of arrival, never more than the limit at once."""

from workbench.app.jobs import FitQueue


def test_queue_admits_up_to_its_limit_then_in_order_of_arrival():
    queue = FitQueue(limit=2)
    first, second, third, fourth = (object() for _ in range(4))
    assert queue.admit(first) == 0 and queue.admit(second) == 0
    assert queue.admit(third) == 1  # one fit must finish before it starts
    assert queue.admit(fourth) == 2
    queue.release()
    assert queue.admit(fourth) == 1  # the third keeps its place ahead
    assert queue.admit(third) == 0
    queue.leave(fourth)
    queue.release()
    queue.release()
    assert queue.admit(object()) == 0


def ask(queue: FitQueue, ticket: object) -> int:
    """What a waiting job does each poll: ask, and give up its place once told to start."""
    ahead = queue.admit(ticket)
    if not ahead:
        queue.leave(ticket)
    return ahead


def test_a_ticket_that_asks_before_the_one_ahead_takes_a_free_slot():
    queue = FitQueue(limit=2)
    first, second, third = (object() for _ in range(3))
    assert ask(queue, object()) == 0 and ask(queue, object()) == 0
    assert ask(queue, first) == 1 and ask(queue, second) == 2 and ask(queue, third) == 3
    queue.release()
    queue.release()
    # Two slots are free, so the second in line may start before the first asks again ...
    assert ask(queue, second) == 0
    assert ask(queue, first) == 0
    # ... and both hold a slot: the third waits for a release.
    assert ask(queue, third) == 1
    queue.release()
    assert ask(queue, third) == 0
