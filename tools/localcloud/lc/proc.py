"""Processes the tool starts: launch in a new session, record, probe, stop by group.

Each managed process gets a pid file (JSON: pid, start time from /proc, argv).  A pid is
only ever treated as ours when its /proc start time still matches the recorded one, so a
recycled pid is never signalled.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


class ServiceError(RuntimeError):
    """A service failed to start; carries its name and the tail of its log."""

    def __init__(self, service: str, message: str, log_tail: str = ''):
        super().__init__(f'{service}: {message}')
        self.service = service
        self.log_tail = log_tail


# -- /proc helpers ---------------------------------------------------------------

def proc_start_time(pid: int) -> int | None:
    """Start time of pid in clock ticks since boot (field 22 of /proc/pid/stat)."""
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces; fields after the last ')'
    fields = stat[stat.rindex(')') + 2:].split()
    return int(fields[19])


def proc_state(pid: int) -> str | None:
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    return stat[stat.rindex(')') + 2:].split()[0]


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids whose process group is pgid."""
    members = []
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / 'stat').read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[2]) == pgid and fields[0] != 'Z':
            members.append(int(entry.name))
    return members


def rss_kib(pids) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f'/proc/{pid}/status').read_text().splitlines():
                if line.startswith('VmRSS:'):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


# -- pid files -------------------------------------------------------------------

class PidFile:
    def __init__(self, run_dir: Path, name: str):
        self.path = run_dir / f'{name}.pid'

    def write(self, pid: int, argv, **extra) -> None:
        record = {'pid': pid, 'pgid': pid, 'start_time': proc_start_time(pid),
                  'argv': [str(a) for a in argv], **extra}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(record) + '\n')

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def live_pid(self) -> int | None:
        """The recorded pid when that very process is still alive, else None."""
        record = self.read()
        if not record:
            return None
        pid = record['pid']
        start = proc_start_time(pid)
        if start is None or start != record.get('start_time') or proc_state(pid) == 'Z':
            return None
        return pid


# -- launching and stopping ------------------------------------------------------

def launch(name: str, argv, run_dir: Path, log_path: Path, env=None, cwd=None) -> int:
    """Start argv in its own session (own process group), output appended to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, 'ab') as log, open(os.devnull, 'rb') as devnull:
        offset = log.seek(0, os.SEEK_END)
        child = subprocess.Popen([str(a) for a in argv], stdin=devnull, stdout=log,
                                 stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                 start_new_session=True, close_fds=True)
    PidFile(run_dir, name).write(child.pid, argv, log=str(log_path), log_offset=offset)
    return child.pid


def stop(name: str, run_dir: Path, timeout: float = 6.0, sig=signal.SIGTERM) -> bool:
    """Stop the process group recorded for name; True when something was stopped."""
    pidfile = PidFile(run_dir, name)
    record = pidfile.read()
    if not record:
        return False
    pid = pidfile.live_pid()
    pgid = record.get('pgid', record['pid'])
    if pid is None and not group_members(pgid):
        pidfile.remove()
        return False
    if pid is not None or _group_is_ours(pgid, record):
        _signal_group(pgid, sig)
        if not _wait_group_gone(pgid, timeout):
            _signal_group(pgid, signal.SIGKILL)
            _wait_group_gone(pgid, 3.0)
    pidfile.remove()
    return True


def _group_is_ours(pgid: int, record: dict) -> bool:
    # the leader is gone but children of our session may linger (same pgid, and the
    # session id equal to the pgid, which only our setsid'd leader could have created)
    for member in group_members(pgid):
        try:
            if os.getsid(member) == pgid:
                return True
        except OSError:
            continue
    return False


def _signal_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:   # pragma: no cover - not ours after all
        if exc.errno != errno.EPERM:
            raise


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        _reap()
        time.sleep(0.05)
    return not group_members(pgid)


def _reap() -> None:
    """Collect exited children of this process (processes launched by this run)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


# -- network probes ----------------------------------------------------------------

def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    """True when host:port can be bound (nobody listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def listeners(port: int) -> list[int]:
    """Pids listening on TCP port (from /proc/net/tcp and fds); best effort."""
    inodes = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == '0A' and int(local.rsplit(':', 1)[1], 16) == port:
                inodes.add(inode)
    pids = []
    if not inodes:
        return pids
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / 'fd').iterdir():
                target = os.readlink(fd)
                if target.startswith('socket:[') and target[8:-1] in inodes:
                    pids.append(int(entry.name))
                    break
        except OSError:
            continue
    return pids


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of a GET on url, None when nothing answers."""
    request = urllib.request.Request(url, headers={'Connection': 'close'})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_until(check, timeout: float, alive=lambda: True, interval: float = 0.1):
    """Poll check() until it returns a truthy value (returned) or timeout (None).

    Stops early, returning None, when alive() turns false."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if not alive() or time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode('utf-8', 'replace')
    except OSError:
        return ''
    return '\n'.join(data.splitlines()[-lines:])


def log_since_launch(pidfile: PidFile, limit: int = 1024 * 1024) -> str:
    """The first `limit` bytes its process logged since the recorded launch."""
    record = pidfile.read() or {}
    try:
        with open(record['log'], 'rb') as handle:
            handle.seek(record.get('log_offset', 0))
            return handle.read(limit).decode('utf-8', 'replace')
    except (KeyError, OSError):
        return ''


def run_logged(argv, log_path: Path, env=None, what: str = '', service: str = '') -> None:
    """Run a setup command with its output appended to log_path; ServiceError on failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, 'ab') as log:
        log.write(f'\n--- localcloud: {" ".join(str(a) for a in argv)}\n'.encode())
        log.flush()
        result = subprocess.run([str(a) for a in argv], stdout=log,
                                stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise ServiceError(service or Path(str(argv[0])).name,
                           f'{what or argv[0]} failed (exit {result.returncode})',
                           tail(log_path))


def current_user() -> str:
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def current_group() -> str:
    import grp
    return grp.getgrgid(os.getegid()).gr_name
