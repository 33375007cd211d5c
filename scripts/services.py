"""Start and stop the real services of the bot: Redis, the action server, Rasa and the app.

One module used by `make run` (`python scripts/services.py run`), by the integration tests and by
the stack benchmark, so all three run the bot exactly the same way. Each service runs in its own
process group with its output in `<log dir>/<name>.log`; a start waits until the service answers
its health check and fails with the service's name and the tail of its log otherwise; `stop_all`
(also on exit, Ctrl-C or SIGTERM) stops everything this module started: SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
MODELS_DIR = ROOT / "models"
HOST = "127.0.0.1"
LOG_TAIL_LINES = 40
# How long a Redis another stack started may take to go away before it is reused: that stack's
# own stop (app, Rasa, action server, each up to 15 s) comes first.
STOPPING_GRACE = 45.0


class ServiceError(RuntimeError):
    """A service could not be started or did not become healthy; the message says which and why."""


@dataclass
class Service:
    """One running service: how it was started, so it can be stopped and restarted."""

    name: str
    url: str
    log_path: Path | None
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    healthy: Callable[[], bool] = lambda: True
    startup_timeout: float = 60.0
    process: subprocess.Popen[bytes] | None = None  # None: reused, not ours to stop

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def newest_model(models_dir: Path = MODELS_DIR) -> Path:
    """The most recently trained `models/*.tar.gz`; a clear error when there is none."""
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise ServiceError(
            f"no trained Rasa model in {models_dir}: run `make model` first "
            "(chưa có mô hình Rasa đã huấn luyện: hãy chạy `make model`)"
        )
    return models[-1]


def redis_answers(port: int, host: str = HOST, timeout: float = 1.0) -> bool:
    """True when a Redis server answers PING on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def redis_dir(port: int, host: str = HOST, timeout: float = 1.0) -> Path | None:
    """The working directory of the Redis on host:port (CONFIG GET dir), None when unknown."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n")
            reply = b""
            while reply.count(b"\r\n") < 5 and not reply.startswith(b"-"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return None
    # *2 $3 dir $<n> <path>
    lines = reply.split(b"\r\n")
    return Path(lines[4].decode()) if len(lines) > 4 and lines[2] == b"dir" else None


def started_by_a_stack(port: int) -> bool:
    """True when the Redis on `port` was started by a `Stack` (its working directory is one of
    the "redis-*" folders `start_redis` makes next to redis.log): it goes when that stack stops,
    so it is not one to keep using."""
    folder = redis_dir(port)
    return folder is not None and folder.name.startswith("redis-") and \
        (folder.parent / "redis.log").exists()


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.3) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of GET url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def log_tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    if path is None or not path.exists():
        return "(no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:]) or "(empty log)"


def redis_env(redis_url: str) -> dict[str, str]:
    """REDIS_HOST/PORT/DB for endpoints.yml's tracker and lock stores, from a redis:// URL."""
    parts = urlsplit(redis_url)
    db = parts.path.lstrip("/") or "0"
    return {"REDIS_HOST": parts.hostname or HOST, "REDIS_PORT": str(parts.port or 6379),
            "REDIS_DB": db}


class Stack:
    """The services of one bot, started in dependency order and stopped together.

    `data_dir` becomes BOT_DATA_DIR of the action server and the app; `extra_env` is added to
    every service's environment (e.g. settings of a test).
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        data_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.extra_env = dict(extra_env or {})
        self.services: dict[str, Service] = {}
        self.redis_url = ""
        self.action_server_url = ""
        self.rasa_url = ""
        self.app_url = ""
        # Rasa's HTTP API (/status, /conversations, /model) asks for this token; the app sends
        # it with /status.
        self.rasa_token = self._token("APP_RASA_TOKEN")
        # Rasa sends this with each action call (endpoints.yml); the action server refuses calls
        # without it.
        self.action_token = self._token("ACTION_SERVER_TOKEN")

    def _token(self, name: str) -> str:
        """The token set in `name` (extra env, then the environment), else a fresh one."""
        return self.extra_env.get(name) or os.environ.get(name) or secrets.token_urlsafe(32)

    # ---- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()

    def base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        env["PYTHONUNBUFFERED"] = "1"
        if self.data_dir is not None:
            env["BOT_DATA_DIR"] = str(self.data_dir)
        if self.redis_url:
            env.update(redis_env(self.redis_url))
        env.update(self.extra_env)
        return env

    def launch(self, service: Service) -> Service:
        """Start `service` (command, env, log file set) and wait until it is healthy."""
        assert service.log_path is not None
        with open(service.log_path, "ab") as log:
            shown = " ".join(part.replace(self.rasa_token, "***") for part in service.command)
            log.write(f"\n==== {time.strftime('%H:%M:%S')} {shown}\n".encode())
            log.flush()
            try:
                service.process = subprocess.Popen(
                    service.command, cwd=ROOT, env=service.env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            except OSError as error:
                raise ServiceError(
                    f"{service.name}: cannot run {service.command[0]}: {error}"
                ) from error
        self.services[service.name] = service
        self._wait_healthy(service)
        return service

    def _wait_healthy(self, service: Service) -> None:
        deadline = time.monotonic() + service.startup_timeout
        while time.monotonic() < deadline:
            if service.process is not None and service.process.poll() is not None:
                code = service.process.returncode
                raise ServiceError(
                    f"{service.name} exited with code {code} while starting; "
                    f"last lines of {service.log_path}:\n{log_tail(service.log_path)}"
                )
            if service.healthy():
                return
            time.sleep(0.3)
        self.stop(service.name)
        raise ServiceError(
            f"{service.name} did not become healthy within {service.startup_timeout:g} s "
            f"at {service.url}; last lines of {service.log_path}:\n{log_tail(service.log_path)}"
        )

    def stop(self, name: str, timeout: float = 15.0) -> None:
        """Stop one service this stack started (its whole process group)."""
        service = self.services.get(name)
        if service is None or service.process is None:
            return
        process = service.process
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        # Children left behind in the group (e.g. workers) go too.
        _signal_group(process, signal.SIGKILL)
        service.process = None

    def restart(self, name: str) -> Service:
        """Stop a service and start it again with the same command and port."""
        service = self.services[name]
        if service.process is None and service.log_path is None:
            raise ServiceError(f"{name} was reused, not started here; it cannot be restarted")
        self.stop(name)
        return self.launch(service)

    def stop_all(self) -> None:
        """Stop everything started here, in reverse start order."""
        for name in reversed(list(self.services)):
            self.stop(name)

    # ---- the services ----------------------------------------------------------------------
    def start_redis(self, port: int, *, reuse: bool = False, db: int = 0) -> Service:
        """redis-server on 127.0.0.1:port without persistence; with `reuse`, a Redis already
        answering on that port is used as it is (and not stopped)."""
        self.redis_url = f"redis://{HOST}:{port}/{db}"
        url = self.redis_url
        # Another stack's Redis is reused only if it outlives a grace period: the run it belongs
        # to may be stopping (`make run` again right after Ctrl-C) and would take it along.
        if reuse and redis_answers(port) and started_by_a_stack(port):
            print(f"Redis {HOST}:{port} thuộc một lần chạy khác, chờ nó dừng / belongs to another "
                  f"run, waiting up to {STOPPING_GRACE:g} s for it to stop …", file=sys.stderr,
                  flush=True)
            wait_until(lambda: not redis_answers(port), STOPPING_GRACE)
        if reuse and redis_answers(port):
            service = Service("redis", url, None)
            self.services["redis"] = service
            return service
        system_binary = Path("/usr/bin/redis-server")
        binary = str(system_binary) if system_binary.exists() else "redis-server"
        workdir = Path(tempfile.mkdtemp(prefix="redis-", dir=self.log_dir))
        command = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
                   "--dir", str(workdir)]
        return self.launch(Service("redis", url, self.log_dir / "redis.log", command,
                                    self.base_env(), lambda: redis_answers(port), 20.0))

    def start_action_server(self, port: int) -> Service:
        """The rasa-sdk action server (`actions` package) in .venv."""
        self.action_server_url = f"http://{HOST}:{port}"
        python = str(APP_PYTHON if APP_PYTHON.exists() else Path(sys.executable))
        command = [python, "-m", "actions", "--actions", "actions", "-p", str(port)]
        env = self.base_env()
        env["SANIC_HOST"] = HOST  # rasa-sdk binds every interface unless told; only Rasa calls it
        env["ACTION_SERVER_TOKEN"] = self.action_token
        health = f"{self.action_server_url}/health"
        return self.launch(Service("action_server", self.action_server_url,
                                    self.log_dir / "action_server.log", command, env,
                                    lambda: http_status(health) == 200, 120.0))

    def start_rasa(self, port: int, model: Path | None = None) -> Service:
        """The Rasa server (.venv-rasa) with the REST channel and the HTTP API on loopback."""
        if not self.action_server_url or not self.redis_url:
            raise ServiceError("start Redis and the action server before Rasa")
        model = model or newest_model()
        if not RASA_BIN.exists():
            raise ServiceError(f"{RASA_BIN} is missing: run `make setup`")
        self.rasa_url = f"http://{HOST}:{port}"
        # "--auth-token=…" in one argument: a token may begin with "-" (token_urlsafe gives one
        # in 64 starts), which as a separate argument reads as an option and stops Rasa
        command = [str(RASA_BIN), "run", "--enable-api", f"--auth-token={self.rasa_token}",
                   "-m", str(model), "-p", str(port), "-i", HOST]
        for flag, name in (("--endpoints", "endpoints.yml"), ("--credentials", "credentials.yml")):
            if (ROOT / name).exists():
                command += [flag, str(ROOT / name)]
        env = self.base_env()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        env["ACTION_SERVER_URL"] = f"{self.action_server_url}/webhook"
        env["ACTION_SERVER_TOKEN"] = self.action_token
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env.setdefault("MPLCONFIGDIR", str(self.log_dir / "mpl"))
        status = f"{self.rasa_url}/status?token={quote(self.rasa_token, safe='')}"
        return self.launch(Service("rasa", self.rasa_url, self.log_dir / "rasa.log", command,
                                    env, lambda: http_status(status, timeout=5) == 200, 240.0))

    def start_app(self, port: int, host: str = HOST) -> Service:
        """The FastAPI app (web chat, health, webhooks) with uvicorn in .venv."""
        if not (self.redis_url and self.rasa_url and self.action_server_url):
            raise ServiceError("start Redis, the action server and Rasa before the app")
        self.app_url = f"http://{HOST if host in ('0.0.0.0', '::') else host}:{port}"
        python = str(APP_PYTHON if APP_PYTHON.exists() else Path(sys.executable))
        command = [python, "-m", "uvicorn", "connectors.app:main", "--factory", "--host", host,
                   "--port", str(port)]
        env = self.base_env()
        env.update({"APP_HOST": host, "APP_PORT": str(port), "APP_RASA_URL": self.rasa_url,
                    "APP_RASA_TOKEN": self.rasa_token,
                    "APP_ACTION_SERVER_URL": self.action_server_url,
                    "APP_REDIS_URL": self.redis_url})
        health = f"{self.app_url}/health"
        return self.launch(Service("app", self.app_url, self.log_dir / "app.log", command, env,
                                    lambda: http_status(health, timeout=10) == 200, 60.0))

    def start_all(
        self,
        *,
        redis_port: int,
        action_port: int,
        rasa_port: int,
        app_port: int,
        app_host: str = HOST,
        model: Path | None = None,
        reuse_redis: bool = False,
        redis_db: int = 0,
    ) -> None:
        """Redis, the action server, Rasa, then the app; each healthy before the next."""
        self.start_redis(redis_port, reuse=reuse_redis, db=redis_db)
        self.start_action_server(action_port)
        self.start_rasa(rasa_port, model)
        self.start_app(app_port, app_host)

    def pids(self) -> dict[str, int]:
        """The process id of each service started here (reused ones are left out)."""
        return {name: s.pid for name, s in self.services.items() if s.pid is not None}


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into KeyboardInterrupt so `finally` blocks stop the services.

    SIGINT is set explicitly because a shell starts background jobs (`make run &`) with SIGINT
    ignored, and Python then keeps it ignored: `kill -INT` would not stop the bot.
    """

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)


def run(args: argparse.Namespace) -> int:
    """`run`: start everything on the configured ports and wait for Ctrl-C."""
    sys.path.insert(0, str(ROOT))
    from connectors.settings import get_app_settings

    settings = get_app_settings()
    redis_parts = urlsplit(settings.redis_url)
    rasa_port = urlsplit(settings.rasa_url).port or 5005
    action_port = urlsplit(settings.action_server_url).port or 5055
    log_dir = Path(args.log_dir).resolve()
    print(f"Đang khởi động Redis, máy chủ hành động, Rasa và ứng dụng (logs: {log_dir}) …",
          flush=True)
    with stop_on_signals(), Stack(log_dir) as stack:
        try:
            stack.start_all(
                redis_port=redis_parts.port or 6379, action_port=action_port,
                rasa_port=rasa_port, app_port=settings.port, app_host=settings.host,
                model=Path(args.model) if args.model else None, reuse_redis=True,
                redis_db=int(redis_parts.path.lstrip("/") or 0),
            )
        except ServiceError as error:
            print(f"LỖI / ERROR: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nĐã dừng / stopped.")
            return 130
        reused = ""
        if stack.services["redis"].pid is None:
            reused = " (đang chạy sẵn, dùng lại / reused)"
        print(
            "\nSẵn sàng / ready:\n"
            f"  Trò chuyện trên web / web chat : {stack.app_url}/\n"
            f"  Trang quản trị / admin web     : {stack.app_url}/admin "
            "(tài khoản đầu tiên / first account: .venv/bin/bot admin create-user TEN --role admin)\n"
            f"  Tình trạng / health            : {stack.app_url}/health\n"
            f"  Rasa                           : {stack.rasa_url}\n"
            f"  Máy chủ hành động / actions    : {stack.action_server_url}\n"
            f"  Redis                          : {stack.redis_url}{reused}\n"
            f"  Nhật ký / logs                 : {log_dir}\n"
            "Nhấn Ctrl-C để dừng tất cả / press Ctrl-C to stop everything.",
            flush=True,
        )
        try:
            while True:
                for name, service in stack.services.items():
                    if service.process is not None and service.process.poll() is not None:
                        print(f"LỖI / ERROR: {name} stopped (code {service.process.returncode}); "
                              f"last lines of {service.log_path}:\n{log_tail(service.log_path)}",
                              file=sys.stderr)
                        return 1
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nĐang dừng / stopping …", flush=True)
    print("Đã dừng / stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start the bot's services (Redis, action server, Rasa, app)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start everything and block until Ctrl-C")
    run_parser.add_argument("--model", help="Rasa model (.tar.gz); default: the newest in models/")
    run_parser.add_argument("--log-dir", default=str(ROOT / "var" / "log"), help="log folder")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
