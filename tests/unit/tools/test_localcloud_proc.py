"""Unit tests of tools/localcloud: process groups, pid files, port checks, readiness."""

import http.server
import os
import signal
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


# -- stop/down never signals a process it cannot prove its own (issue 10, finding 12) ---------

def _foreign_session():
    """A real process in a session of its own (pid == pgid == sid): what a recycled pid may be."""
    import subprocess
    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],
                             start_new_session=True)
    assert proc.wait_until(lambda: proc.proc_start_time(child.pid), 5)
    return child


def _record(pid, start_time='missing', **extra):
    record = {'pid': pid, 'pgid': pid, 'argv': ['some', 'service'], **extra}
    if start_time != 'missing':
        record['start_time'] = start_time
    return record


FOREIGN_RECORDS = {
    'other start time': lambda pid: _record(pid, proc.proc_start_time(pid) - 1),
    'start time null': lambda pid: _record(pid, None),
    'no start time': _record,
    'other start time, marker not in its environment':
        lambda pid: _record(pid, proc.proc_start_time(pid) + 1, marker='0' * 32),
    'no start time, marker not in its environment': lambda pid: _record(pid, marker='0' * 32),
}


@pytest.mark.parametrize('kind', sorted(FOREIGN_RECORDS))
def test_stop_never_signals_a_recycled_pid_leading_its_own_session(tmp_path, kind, capsys):
    import json
    child = _foreign_session()
    try:
        pidfile = proc.PidFile(tmp_path, 'svc')
        pidfile.path.write_text(json.dumps(FOREIGN_RECORDS[kind](child.pid)))
        stopped = proc.stop('svc', tmp_path, timeout=0.5)
        time.sleep(0.3)
        assert child.poll() is None, 'a process that is not ours was signalled'
        assert not stopped
        assert not pidfile.path.exists()                  # the stale record is gone
        assert 'pid %d was not signalled' % child.pid in capsys.readouterr().err
    finally:
        child.kill()
        child.wait()


def test_down_leaves_a_recycled_pid_alone(tmp_path):
    """`localcloud down` with run/heat.pid naming another session's leader: not signalled."""
    import json
    from lc import config, state
    from lc.cloud import Cloud
    environ = {'LOCALCLOUD_HOME': str(tmp_path / 'home'), 'LOCALCLOUD_DB': 'sqlite'}
    for name in config.DEFAULT_PORTS:
        environ['LOCALCLOUD_PORT_%s' % name.upper()] = str(free_port())
    settings = config.settings_from_env(environ)
    state.load_or_create(settings, 'sqlite')
    settings.make_dirs()
    child = _foreign_session()
    try:
        pidfile = proc.PidFile(settings.run, 'heat')
        pidfile.path.write_text(json.dumps(_record(child.pid, proc.proc_start_time(child.pid) - 1)))
        lines = []
        assert Cloud(settings, echo=lines.append).down() == 0
        time.sleep(0.3)
        assert child.poll() is None, '`down` signalled a process it did not start'
        assert not pidfile.path.exists()
        assert any('heat' in line and 'pid %d was not signalled' % child.pid in line
                   for line in lines), lines
        assert 'nothing was running' in lines[-1]
    finally:
        child.kill()
        child.wait()


def test_stop_still_ends_children_whose_leader_is_gone(tmp_path):
    """The leader exited, its child lingers in the group: the recorded marker (in the child's
    environment) proves the group ours, so it is still stopped."""
    script = ('import subprocess, sys; '
              'subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])')
    pid = proc.launch('orphans', [sys.executable, '-c', script], tmp_path, tmp_path / 'l')
    try:
        assert proc.wait_until(lambda: proc.PidFile(tmp_path, 'orphans').live_pid() is None, 10)
        assert proc.wait_until(lambda: proc.group_members(pid), 5)
        members = proc.group_members(pid)
        assert len(members) == 1 and members[0] != pid
        assert proc.stop('orphans', tmp_path, timeout=2)
        assert proc.group_members(pid) == []
    finally:
        for member in proc.group_members(pid):        # this test's own processes only
            os.kill(member, signal.SIGKILL)


def test_stop_kills_members_without_the_marker_seen_with_their_leader(tmp_path):
    """A member that does not show the marker (its environment overwritten, as setproctitle
    does to Ironic's) and ignores SIGTERM, while its leader exits: proven ours together with the
    leader before the SIGTERM (pid and start time), it gets the SIGKILL."""
    child = ('import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); '
             'open("ready", "w").close(); time.sleep(60)')
    script = ('import subprocess, sys, time; '
              'subprocess.Popen([sys.executable, "-c", %r], env={}); time.sleep(60)' % child)
    pid = proc.launch('mixed', [sys.executable, '-c', script], tmp_path, tmp_path / 'l',
                      cwd=str(tmp_path))
    try:
        assert proc.wait_until((tmp_path / 'ready').exists, 10)
        members = [m for m in proc.group_members(pid) if m != pid]
        record = proc.PidFile(tmp_path, 'mixed').read()
        assert len(members) == 1 and not proc.proc_has_marker(members[0], record['marker'])
        assert proc.stop('mixed', tmp_path, timeout=1)
        assert proc.group_members(pid) == []
    finally:
        for member in proc.group_members(pid):        # this test's own processes only
            os.kill(member, signal.SIGKILL)


def test_launch_is_private(tmp_path):
    """The log and pid files are created 0600, what the service creates too (umask 077)."""
    script = 'open("made-by-the-service", "w").write("x")'
    old = os.umask(0o022)
    try:
        pid = proc.launch('svc', [sys.executable, '-c', script], tmp_path / 'run',
                          tmp_path / 'logs' / 'svc.log', cwd=str(tmp_path))
    finally:
        os.umask(old)
    assert proc.wait_until(lambda: proc.group_members(pid) == [], 10)
    for path in (tmp_path / 'logs' / 'svc.log', tmp_path / 'run' / 'svc.pid',
                 tmp_path / 'made-by-the-service'):
        assert oct(path.stat().st_mode & 0o777) == '0o600', path
    for path in (tmp_path / 'logs', tmp_path / 'run'):
        assert oct(path.stat().st_mode & 0o777) == '0o700', path
    record = proc.PidFile(tmp_path / 'run', 'svc').read()
    assert len(record['marker']) == 32 and record['start_time'] is not None
    proc.stop('svc', tmp_path / 'run')
