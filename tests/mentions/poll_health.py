"""What both social pollers' tests share: the check of PollHealth (a stream failing twice in a row is reported,
once is not) and a store that cannot keep cursors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text


async def assert_reported_after_two_failures(poller, accept, problem_start: str) -> None:
    """Poll `mentions` three times, the first two failing (the caller queued the faults)."""
    await poller.poll("mentions", accept)
    assert poller.health.problem() is None  # once may be a blip
    await poller.poll("mentions", accept)
    assert poller.health.problem().startswith(problem_start)
    await poller.poll("mentions", accept)
    assert poller.health.problem() is None


@contextmanager
def cursors_table_gone(sessions) -> Iterator[None]:
    """The store answers every cursor read and write with an error (its table renamed away) until the block ends."""
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE cursors RENAME TO cursors_away"))
    try:
        yield
    finally:
        with sessions.begin() as session:
            session.execute(text("ALTER TABLE cursors_away RENAME TO cursors"))
