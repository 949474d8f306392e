"""Start the real app (`streamlit run dashboard.py`) on 127.0.0.1 for browser tests, and Chromium to drive it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",  # lets plotly's WebGL maps draw without a GPU
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(cache_root: Path) -> Iterator[str]:
    """The dashboard served on a free port, with its snapshots under `cache_root`; yields its URL."""
    port = free_port()
    env = {**os.environ, "DASHBOARD_CACHE": str(cache_root)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not become healthy in time")


def chromium_or_skip() -> str:
    """Path of Debian's chromium; skip (or fail under CI) when it is missing."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = "chromium is not installed (make test installs it when run as root)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def wait_for_script(page, timeout_ms: int = 30_000) -> None:
    """Wait until the app is connected and its script has finished running (Streamlit's own e2e rule)."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout_ms
    )
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_timeout(300)
