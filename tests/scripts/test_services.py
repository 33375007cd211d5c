"""scripts/services.py with real processes: Redis starts, answers and stops; a service that dies
while starting, or never becomes healthy, fails naming itself and showing its log."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from script_modules import load_script

ROOT = Path(__file__).resolve().parents[2]


def load_services() -> ModuleType:
    """scripts/services.py (not a package) loaded by path, once."""
    return load_script("services")


services = load_services()


def test_redis_starts_answers_is_reused_and_stops(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "STOPPING_GRACE", 0.5)  # not stopping: reused after it
    port = services.free_port()
    with services.Stack(tmp_path / "logs") as stack:
        redis = stack.start_redis(port)
        assert redis.pid is not None
        assert services.redis_answers(port)
        assert stack.redis_url == f"redis://127.0.0.1:{port}/0"
        with services.Stack(tmp_path / "other") as second:
            reused = second.start_redis(port, reuse=True)
            assert reused.pid is None  # not started, so not stopped by `second`
        assert services.redis_answers(port)
    assert not services.redis_answers(port)


def test_a_redis_another_stack_started_is_reused_only_if_it_does_not_go_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(services, "STOPPING_GRACE", 10.0)
    port = services.free_port()
    first = services.Stack(tmp_path / "first")
    first.start_redis(port)
    assert services.started_by_a_stack(port)
    # the first run stops while the second starts: the second waits and starts its own
    stopping = threading.Timer(1.0, first.stop_all)
    stopping.start()
    with services.Stack(tmp_path / "second") as second:
        redis = second.start_redis(port, reuse=True)
        stopping.join()
        assert redis.pid is not None and services.redis_answers(port)
        # a run that is not stopping: its Redis is reused after the grace period
        monkeypatch.setattr(services, "STOPPING_GRACE", 0.5)
        with services.Stack(tmp_path / "third") as third:
            assert third.start_redis(port, reuse=True).pid is None
        assert services.redis_answers(port)
    assert not services.redis_answers(port)


def test_the_action_server_listens_on_loopback_only(tmp_path: Path, monkeypatch) -> None:
    launched = []
    with services.Stack(tmp_path / "logs") as stack:
        monkeypatch.setattr(stack, "launch", launched.append)
        stack.start_action_server(services.free_port())
    (service,) = launched
    assert service.env["SANIC_HOST"] == "127.0.0.1"  # read by rasa_sdk.endpoint.run


def test_a_service_that_exits_while_starting_names_itself_and_shows_its_log(
    tmp_path: Path,
) -> None:
    stack = services.Stack(tmp_path)
    command = [sys.executable, "-c", "print('configuration broken: no model'); raise SystemExit(3)"]
    service = services.Service("rasa", "http://127.0.0.1:1", tmp_path / "rasa.log", command,
                               {}, lambda: False, 30.0)
    with pytest.raises(services.ServiceError) as caught:
        stack.launch(service)
    message = str(caught.value)
    assert message.startswith("rasa exited with code 3")
    assert "configuration broken: no model" in message


def test_a_service_that_never_gets_healthy_is_stopped(tmp_path: Path) -> None:
    stack = services.Stack(tmp_path)
    command = [sys.executable, "-c", "import time; print('waiting', flush=True); time.sleep(60)"]
    service = services.Service("app", "http://127.0.0.1:1", tmp_path / "app.log", command,
                               {}, lambda: False, 1.0)
    with pytest.raises(services.ServiceError, match="app did not become healthy within 1 s"):
        stack.launch(service)
    assert service.process is None


def test_newest_model_is_picked_and_a_missing_model_says_make_model(tmp_path: Path) -> None:
    with pytest.raises(services.ServiceError, match="make model"):
        services.newest_model(tmp_path)
    old, new = tmp_path / "edubot-old.tar.gz", tmp_path / "edubot-new.tar.gz"
    old.write_bytes(b"")
    new.write_bytes(b"")
    os.utime(old, (1_000_000, 1_000_000))
    assert services.newest_model(tmp_path) == new


def test_redis_env_splits_the_url_for_endpoints_yml() -> None:
    assert services.redis_env("redis://10.0.0.5:6380/2") == {
        "REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6380", "REDIS_DB": "2"}
    assert services.redis_env("redis://localhost") == {
        "REDIS_HOST": "localhost", "REDIS_PORT": "6379", "REDIS_DB": "0"}


def test_sigint_stops_the_run_loop_even_when_started_with_sigint_ignored() -> None:
    import signal
    import time

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for `make run &` from a shell
    try:
        with pytest.raises(KeyboardInterrupt), services.stop_on_signals():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler raises here at the latest
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # restored afterwards
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_rasa_token_beginning_with_a_dash_reaches_rasa_whole_and_stays_out_of_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    token = "-x7Qe_secret"  # token_urlsafe begins with "-" one time in 64
    launched: list[object] = []
    monkeypatch.setattr(services.Stack, "launch", lambda self, service: launched.append(service))
    stack = services.Stack(tmp_path / "logs", extra_env={"APP_RASA_TOKEN": token})
    stack.redis_url, stack.action_server_url = "redis://127.0.0.1:1/0", "http://127.0.0.1:2"
    stack.start_rasa(services.free_port(), tmp_path / "model.tar.gz")
    [service] = launched
    command = service.command  # type: ignore[attr-defined]
    # read as Rasa's argparse reads `-t/--auth-token`
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--auth-token")
    known, _ = parser.parse_known_args(command[2:])
    assert known.auth_token == token
    with pytest.raises(SystemExit):  # the form it replaced: the token read as an option
        parser.parse_known_args(["--auth-token", token])
    # the log line shows the command without the token
    monkeypatch.undo()
    stack = services.Stack(tmp_path / "logs2", extra_env={"APP_RASA_TOKEN": token})
    sleeper = services.Service("sleeper", "", tmp_path / "sleeper.log",
                               [sys.executable, "-c", "import time; time.sleep(30)",
                                f"--auth-token={token}"], dict(os.environ))
    with stack:
        stack.launch(sleeper)
        logged = (tmp_path / "sleeper.log").read_text()
    assert "--auth-token=***" in logged and token not in logged


def test_rasa_and_the_action_server_get_the_same_action_token_new_at_each_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    launched: list[services.Service] = []
    monkeypatch.setattr(services.Stack, "launch", lambda self, service: launched.append(service))
    tokens = []
    for run in ("a", "b"):
        stack = services.Stack(tmp_path / run)
        stack.redis_url = "redis://127.0.0.1:1/0"
        stack.start_action_server(services.free_port())
        stack.start_rasa(services.free_port(), tmp_path / "model.tar.gz")
        actions, rasa = launched[-2:]
        assert actions.env["ACTION_SERVER_TOKEN"] == rasa.env["ACTION_SERVER_TOKEN"]
        assert len(actions.env["ACTION_SERVER_TOKEN"]) >= 32
        assert actions.env["ACTION_SERVER_TOKEN"] not in " ".join(rasa.command)
        tokens.append(actions.env["ACTION_SERVER_TOKEN"])
    assert tokens[0] != tokens[1]
    # one set by whoever starts Rasa and the action server themselves is kept
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "set-by-the-operator")
    assert services.Stack(tmp_path / "c").action_token == "set-by-the-operator"
