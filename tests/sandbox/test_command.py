"""`python -m bot sandbox`, run as a newcomer runs it: it says where to open the page, the page
answers, Ctrl-C ends it; a fresh start each time, in a SQLite file of its own under ./data/."""

import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.test_cli import environment


def test_the_sandbox_command_prints_the_address_and_serves_the_page(tmp_path: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0"],
        cwd=tmp_path,
        env=environment(LOG_LEVEL="INFO"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        address = re.search(r"open (http://127\.0\.0\.1:\d+/) in a browser", ready)
        assert address, (ready, process.stderr.read() if process.poll() is not None else "")
        panel = process.stdout.readline()
        assert re.fullmatch(
            r"Staff panel: http://127\.0\.0\.1:\d+/login \(administrator admin, password "
            r"\S{16}; a new one at each start\)\.\n",
            panel,
        ), panel
        with urllib.request.urlopen(address.group(1), timeout=30) as page:
            assert "这是演示沙盒" in page.read().decode()
        assert (tmp_path / "data" / "sandbox.sqlite3").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
    # What a newcomer reads at INFO: the sandbox's own lines, not Alembic's plugins one by one.
    assert "setup plugin" not in errors, errors


def test_the_sandbox_command_says_so_when_its_port_is_taken(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
            cwd=tmp_path,
            env=environment(LOG_LEVEL="WARNING"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("The sandbox could not start: ")


def test_the_sandbox_command_says_so_when_the_panel_s_port_is_taken(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        panel_port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(panel_port - 1)],
            cwd=tmp_path,
            env=environment(LOG_LEVEL="WARNING"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"The sandbox could not start: the staff panel's port {panel_port} is taken "
        "(Address already in use)"
    )
