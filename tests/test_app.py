"""The app factory: health endpoints and the embedded default configuration."""

from __future__ import annotations

import stat

from gridgov.app import create_app


def test_healthz_and_readyz_answer(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_embedded_default_keeps_its_database_and_keys_in_the_instance_folder(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "GRIDGOV_DATA_KEY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'gridgov.db'}"
    assert app.config["REDIS_URL"] is None
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == app.config["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # a second start reuses the keys, so sessions and encrypted data survive a restart
    again = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert again.config["GRIDGOV_DATA_KEY"] == app.config["GRIDGOV_DATA_KEY"]
    app.extensions["gridgov.engine"].dispose()
    again.extensions["gridgov.engine"].dispose()


def test_environment_settings_win_over_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/0")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6399/0"
    assert not (tmp_path / "secret_key").exists()
    app.extensions["gridgov.engine"].dispose()
