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
