"""Sessions kept on the server: in Redis when the deployment has one (several workers share
it, entries expire after the idle timeout), in files of the instance folder otherwise; ended
for good at logout."""

from __future__ import annotations

import stat
from pathlib import Path

from redis import Redis

from tests.portal.conftest import csrf_token, login


def test_sessions_live_in_redis_and_end_there(another_app, county, redis_url):
    served = another_app(RATELIMIT_ENABLED=False, REDIS_URL=redis_url)
    store = Redis.from_url(redis_url)
    try:
        client = served.test_client()
        assert login(client, "changshan", county.workers[0].username).status_code == 302
        sid = client.get_cookie("session").value
        key = f"gridgov:session:{sid}"
        assert store.exists(key)
        assert 0 < store.ttl(key) <= served.permanent_session_lifetime.total_seconds()
        # A second worker of the same deployment knows the session.
        other_client = another_app(RATELIMIT_ENABLED=False, REDIS_URL=redis_url).test_client()
        other_client.set_cookie("session", sid)
        assert other_client.get("/t/changshan/").status_code == 200
        page = client.get("/t/changshan/").get_data(as_text=True)
        client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
        assert not store.exists(key)
        assert other_client.get("/t/changshan/").status_code == 302
    finally:
        store.close()


def test_embedded_sessions_are_files_only_the_server_reads(app, client, county):
    login(client, "changshan", county.workers[0].username)
    folder = Path(app.instance_path) / "sessions"
    files = [p for p in folder.iterdir() if p.is_file() and p.name != "__wz_cache_count"]
    assert files
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    sid = client.get_cookie("session").value
    assert all(sid not in p.read_bytes().decode("latin-1") for p in files)  # the id is hashed
