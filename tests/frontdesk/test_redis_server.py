"""frontdesk/redis_server.py: the embedded Redis, and the one a run killed outright left behind."""

from __future__ import annotations

import redis

from frontdesk.redis_server import EmbeddedRedis, redis_working_in


def test_a_redis_left_working_in_the_data_dir_is_stopped_and_its_data_kept(tmp_path):
    left = EmbeddedRedis(tmp_path).start()  # as if the run that started it had been killed outright
    redis.Redis.from_url(left.url).set("frontdesk:kept", "yes")
    after = EmbeddedRedis(tmp_path).start()
    try:
        assert left.process.wait(10) == 0  # SIGTERM: a clean shutdown, the AOF flushed
        assert redis.Redis.from_url(after.url).get("frontdesk:kept") == b"yes"
        assert redis_working_in(after.process.pid, after.data_dir)
        assert int(after.pidfile.read_text()) == after.process.pid
    finally:
        after.stop()
    assert not after.pidfile.exists()  # removed by the clean shutdown


def test_a_pid_that_is_not_our_redis_is_left_alone(tmp_path):
    other = EmbeddedRedis(tmp_path / "other").start()
    try:
        mine = EmbeddedRedis(tmp_path / "mine")
        mine.data_dir.mkdir(parents=True)
        mine.pidfile.write_text(f"{other.process.pid}\n")  # another directory's server
        mine.start()
        assert other.process.poll() is None
        mine.stop()
        mine.pidfile.parent.mkdir(parents=True, exist_ok=True)
        mine.pidfile.write_text("not a pid\n")
        mine.start().stop()
    finally:
        other.stop()
