"""Unit tests of tools/localcloud: process groups, pid files, port checks, readiness."""

import http.server
import socket
import sys
import threading
import time

import pytest

from lc import proc
from lc.cli import parser


@pytest.fixture
def listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_port_checks(listening_socket):
    assert proc.port_open('127.0.0.1', listening_socket)
    assert not proc.port_free('127.0.0.1', listening_socket)
    import os
    assert os.getpid() in proc.listeners(listening_socket)
    port = free_port()
    assert proc.port_free('127.0.0.1', port)
    assert not proc.port_open('127.0.0.1', port)


def test_launch_and_stop_the_whole_group(tmp_path):
    # a parent that forks a child which would outlive it: both must go
    script = ('import subprocess, sys, time; '
              'subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]); '
              'print("started", flush=True); time.sleep(60)')
    log = tmp_path / 'logs' / 'svc.log'
    pid = proc.launch('svc', [sys.executable, '-c', script], tmp_path / 'run', log)
    pidfile = proc.PidFile(tmp_path / 'run', 'svc')
    assert pidfile.live_pid() == pid
    assert proc.wait_until(lambda: len(proc.group_members(pid)) == 2, 10)
    assert proc.wait_until(lambda: 'started' in proc.log_since_launch(pidfile), 10)
    start = time.monotonic()
    assert proc.stop('svc', tmp_path / 'run')
    assert time.monotonic() - start < 5
    assert proc.group_members(pid) == []
    assert not pidfile.path.exists()
    assert not proc.stop('svc', tmp_path / 'run')            # nothing left: no-op


def test_stop_kills_a_process_ignoring_sigterm(tmp_path):
    script = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'
    pid = proc.launch('stubborn', [sys.executable, '-c', script], tmp_path, tmp_path / 'l')
    time.sleep(0.3)
    assert proc.stop('stubborn', tmp_path, timeout=0.5)
    assert proc.group_members(pid) == []


def test_recycled_pid_is_not_ours(tmp_path):
    pidfile = proc.PidFile(tmp_path, 'x')
    import os
    pidfile.write(os.getpid(), ['python'])
    assert pidfile.live_pid() == os.getpid()
    record = pidfile.read()
    record['start_time'] -= 1                                 # another process, same pid
    pidfile.path.write_text(__import__('json').dumps(record))
    assert pidfile.live_pid() is None


def test_http_status_and_wait_until():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(300 if self.path == '/' else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = 'http://127.0.0.1:%d' % server.server_address[1]
    try:
        assert proc.http_status(url + '/') == 300
        assert proc.http_status(url + '/x') == 404
    finally:
        server.shutdown()
    assert proc.http_status('http://127.0.0.1:%d/' % free_port(), timeout=0.5) is None
    assert proc.wait_until(lambda: 'yes', 1) == 'yes'
    assert proc.wait_until(lambda: None, 0.2, interval=0.05) is None
    assert proc.wait_until(lambda: None, 10, alive=lambda: False) is None


def test_tail_and_run_logged(tmp_path):
    log = tmp_path / 'x.log'
    proc.run_logged([sys.executable, '-c', 'print("hello")'], log)
    assert 'hello' in proc.tail(log)
    with pytest.raises(proc.ServiceError) as err:
        proc.run_logged([sys.executable, '-c', 'import sys; print("boom"); sys.exit(3)'], log,
                        what='step', service='svc')
    assert err.value.service == 'svc'
    assert 'exit 3' in str(err.value) and 'boom' in err.value.log_tail
    assert proc.tail(tmp_path / 'missing') == ''


@pytest.mark.parametrize('argv', [['up'], ['up', '--db', 'sqlite', '--install-mariadb'],
                                  ['down'], ['status'], ['env'], ['reset'], ['enroll', '3']])
def test_cli_parses(argv):
    args = parser().parse_args(argv)
    assert args.command == argv[0]


def test_cli_rejects_bad_enroll():
    with pytest.raises(SystemExit):
        parser().parse_args(['enroll', 'many'])
