"""The check both social pollers' tests make of PollHealth: a stream failing twice in a row is reported, once is not."""

from __future__ import annotations


async def assert_reported_after_two_failures(poller, accept, problem_start: str) -> None:
    """Poll `mentions` three times, the first two failing (the caller queued the faults)."""
    await poller.poll("mentions", accept)
    assert poller.health.problem() is None  # once may be a blip
    await poller.poll("mentions", accept)
    assert poller.health.problem().startswith(problem_start)
    await poller.poll("mentions", accept)
    assert poller.health.problem() is None
