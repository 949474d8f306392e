"""N Streamlit replicas behind nginx on 127.0.0.1, reading one s3:// snapshot store.

    python -m bench.replicas serve --replicas 2            # try it: http://127.0.0.1:8500
    python -m bench.replicas load --replicas 1 2 --publish  # views/s per replica count; a mid-test publish

The store is the one DASHBOARD_CACHE (s3://…) and AWS_ENDPOINT_URL name; without them a moto S3
server is started on 127.0.0.1 and Demo City is refreshed into it through the real loaders. nginx
(the Debian package, installed with apt-get when missing) upgrades websockets and keeps each visitor
on one replica by a route cookie, since Streamlit's session state lives in one process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import app, wsclient
from bench.replica_load import load_run, publish_run

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "replicas"
PROXY_PORT = 8500
NGINX_CONF = """\
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
    # sticky sessions without nginx Plus: a visitor's route cookie picks the replica
    map $cookie_dashboard_route $route {{ "" $request_id; default $cookie_dashboard_route; }}
    upstream replicas {{
        hash $route consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /_stcore/metrics {{ return 404; }}
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
            add_header Set-Cookie "dashboard_route=$route; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Store:
    url: str
    env: dict[str, str]  # AWS_* variables the replicas need
    work: Path  # the refresh's working copy (to publish a new snapshot mid-test)


def ensure_nginx() -> str:
    """nginx's path, installing Debian's nginx-light package first when it is missing."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found:
        return found
    print("nginx is missing: installing the Debian package (apt-get install nginx-light)", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "--no-install-recommends", "nginx-light"], check=True)
    return shutil.which("nginx", path="/usr/sbin:/usr/bin") or "nginx"


@contextlib.contextmanager
def snapshot_store(run: Path) -> Iterator[Store]:
    """The configured s3:// store, or a moto server on 127.0.0.1 holding a freshly refreshed Demo City."""
    configured = os.environ.get("DASHBOARD_CACHE", "")
    if configured.startswith("s3://") and os.environ.get("AWS_ENDPOINT_URL"):
        keys = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
        yield Store(configured, {k: os.environ[k] for k in keys if k in os.environ}, run / "work")
        return
    from tests.s3server import MotoServer

    with MotoServer() as server:
        saved = {k: os.environ.get(k) for k in server.environment()}
        os.environ.update(server.environment())  # the refresh below runs in this process
        try:
            server.create_bucket("dashboard")
            store = Store("s3://dashboard/snapshots", server.environment(), run / "work")
            _refresh_demo(store)
            yield store
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _refresh_demo(store: Store) -> None:
    from loaders.catalog import load_catalog
    from loaders.parallel import refresh_all
    from loaders.refresh import RefreshOptions

    options = RefreshOptions(cache_root=store.work)
    outcomes = refresh_all(load_catalog(), options, [], ["demo"], jobs=2, store_url=store.url)
    failed = [o.message for o in outcomes if o.status == "failed"]
    if failed:
        raise RuntimeError(f"Demo City could not be published to {store.url}: {failed}")


@contextlib.contextmanager
def replicas(store: Store, count: int, run: Path, poll_s: float) -> Iterator[list[app.Server]]:
    """`count` Streamlit processes, each with its own local copy of the store."""
    with contextlib.ExitStack() as stack:
        servers = []
        for i in range(count):
            env = {
                **store.env,
                "DASHBOARD_LOCAL_COPY": str(run / f"replica-{i}"),
                "DASHBOARD_POLL_SECONDS": str(poll_s),
            }
            log = run / f"replica-{i}.log"
            servers.append(stack.enter_context(app.running_server(store.url, log, extra_env=env)))
        for server in servers:
            app.wait_healthy(server, timeout_s=120)
            # the first view of a process opens the city (builds its cubes): not what a visitor waits for
            asyncio.run(wsclient.one_view(server.port, app.PAGE, "city=demo"))
        yield servers


@contextlib.contextmanager
def proxy(servers: list[app.Server], run: Path, port: int) -> Iterator[int]:
    """nginx in the foreground with a configuration of its own, under `run`."""
    nginx = ensure_nginx()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(run / "tmp" / sub, 0o777)  # nginx's workers drop to an unprivileged user
    servers_conf = "\n".join(f"        server 127.0.0.1:{s.port};" for s in servers)
    conf = run / "nginx.conf"
    conf.write_text(NGINX_CONF.format(run=run, servers=servers_conf, port=port))
    proc = subprocess.Popen([nginx, "-p", str(run), "-c", str(conf), "-g", "daemon off;"])
    try:
        _wait_port(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_port(port: int, proc: subprocess.Popen, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nginx exited at start; see its error log")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port}")


def serve(count: int, port: int) -> int:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` cleans up like Ctrl-C does
    run = _fresh_run_dir("serve")
    with (
        snapshot_store(run) as store,
        replicas(store, count, run, 30.0) as servers,
        proxy(servers, run, port),
    ):
        print(f"{count} replicas of {store.url} behind nginx: http://127.0.0.1:{port}  (Ctrl-C stops)")
        print(f"  store endpoint {store.env.get('AWS_ENDPOINT_URL')}; logs in {run}")
        with contextlib.suppress(KeyboardInterrupt):
            while all(s.proc.poll() is None for s in servers):
                time.sleep(1)
    return 0


def load(counts: list[int], visitors: int, views: int, publish: bool, poll_s: float) -> int:
    run = _fresh_run_dir("load")
    lines = [f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", ""]
    ok = True
    with snapshot_store(run) as store:
        for count in counts:
            with (
                replicas(store, count, run / f"n{count}", poll_s) as servers,
                proxy(servers, run, _free()) as port,
            ):
                result = load_run(port, store, visitors, views)
                lines.append(result.line(count))
                ok &= result.errors == 0
                if publish and count == max(counts):
                    seen = publish_run(port, store, len(servers), visitors)
                    lines.append(seen.line())
                    ok &= seen.ok
    lines.append(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    text = "\n".join(lines)
    print(text)
    (OUT / "results.md").write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


def _fresh_run_dir(name: str) -> Path:
    run = OUT / f"{name}-{secrets.token_hex(3)}"
    run.mkdir(parents=True)
    return run


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="run N replicas behind nginx until Ctrl-C")
    run.add_argument("--replicas", type=int, default=2)
    run.add_argument("--port", type=int, default=PROXY_PORT)
    test = sub.add_parser("load", help="bounded load test through the proxy")
    test.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    test.add_argument("--visitors", type=int, default=8, help="concurrent sessions")
    test.add_argument("--views", type=int, default=6, help="views per session")
    test.add_argument(
        "--publish", action="store_true", help="publish a snapshot mid-test and time its arrival"
    )
    test.add_argument("--poll", type=float, default=30.0, help="replica poll interval, seconds")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.replicas, args.port)
    return load(args.replicas, args.visitors, args.views, args.publish, args.poll)


if __name__ == "__main__":
    sys.exit(main())
