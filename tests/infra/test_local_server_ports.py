"""``make run`` with a port already taken: one line ``ERROR PORT_IN_USE`` naming the port and its variable (PORT or
MOTO_PORT), exit 2, at once and before anything starts; never a hang. Ports are taken by real sockets."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from infra.cli_support import CannotStart
from infra.local.server import port_is_free, run_ports

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


@pytest.fixture
def taken():
    """A port another program listens on (a real socket, closed after the test)."""
    s = socket.socket()
    s.bind((HOST, 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def _free() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def test_a_port_another_program_listens_on_is_not_free(taken):
    assert not port_is_free(HOST, taken)
    assert port_is_free(HOST, _free())


@pytest.mark.parametrize("name", ["PORT", "MOTO_PORT"])
def test_run_ports_names_the_taken_port_and_its_variable(taken, name):
    other = "MOTO_PORT" if name == "PORT" else "PORT"
    with pytest.raises(CannotStart) as err:
        run_ports(HOST, {name: str(taken), other: str(_free())})
    assert err.value.code == "PORT_IN_USE" and err.value.exit_code == 2
    assert err.value.message.startswith(f"port {taken} ({name}) is in use; start with e.g. PORT=")
    assert err.value.message.endswith(" make run")


@pytest.mark.parametrize("environ, said", [({"PORT": "80a"}, "PORT='80a' is not a port number"),
                                           ({"MOTO_PORT": "70000"}, "MOTO_PORT='70000' is not a port number"),
                                           ({"PORT": "8123", "MOTO_PORT": "8123"}, "both 8123: they must differ")])
def test_run_ports_refuses_what_is_not_a_pair_of_ports(environ, said):
    with pytest.raises(CannotStart) as err:
        run_ports(HOST, environ)
    assert err.value.code == "PORT_INVALID" and said in err.value.message


@pytest.mark.parametrize("name", ["PORT", "MOTO_PORT"])
def test_village_credit_run_on_a_taken_port_is_one_line_and_exit_2(taken, name):
    other = "MOTO_PORT" if name == "PORT" else "PORT"
    env = {**os.environ, name: str(taken), other: str(_free())}
    # timeout: a hang guard only (it used to wait for ever); the assertion is the exit code and the line
    done = subprocess.run([sys.executable, "-m", "infra.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith(f"ERROR PORT_IN_USE: port {taken} ({name}) is in use"), lines
    assert "starting the local stack" not in done.stdout  # refused before anything started


def test_start_moto_raises_when_its_port_is_taken_after_the_check(taken):
    # the race the check cannot close: moto's own bind fails in its thread; start_moto must raise, not wait
    code = ("import errno, sys\n"
            "from infra.local.server import start_moto\n"
            "try:\n"
            f"    start_moto({taken})\n"
            "except OSError as exc:\n"
            "    sys.exit(7 if exc.errno == errno.EADDRINUSE else 8)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 7, done.stderr
