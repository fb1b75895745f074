"""Processes the tool starts: launch in a new session, record, probe, stop by group.

Each managed process gets a pid file (JSON: pid, process group, start time from /proc, a
random marker, argv).  The marker is also in the process's environment
(LOCALCLOUD_PROC_MARKER), which its children inherit.  A process group is only ever signalled
when it is proven ours right before the signal: its leader is alive with the recorded /proc
start time, or (the leader gone, children lingering) a member carries the recorded marker (a
process that retitles itself with setproctitle, as Ironic does, overwrites the environment
/proc shows, so for it only the first proof holds).  A recycled pid - even one that leads a
session of its own - is never signalled, and neither is anything a record without a start time
names: such a record is reported and removed.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .config import CHILD_UMASK, append_private, write_if_changed

MARKER_ENV = 'LOCALCLOUD_PROC_MARKER'


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


def proc_pgid(pid: int) -> int | None:
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(')') + 2:].split()[2])


def proc_has_marker(pid: int, marker: str | None) -> bool:
    """True when pid's environment holds LOCALCLOUD_PROC_MARKER=marker."""
    if not marker:
        return False
    try:
        environ = Path(f'/proc/{pid}/environ').read_bytes()
    except OSError:
        return False
    return f'{MARKER_ENV}={marker}'.encode() in environ.split(b'\0')


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
        write_if_changed(self.path, json.dumps(record) + '\n')

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
        return leader_alive(record) if record else None


def leader_alive(record: dict) -> int | None:
    """The recorded pid when it is alive with the recorded start time (that very process)."""
    pid = record.get('pid')
    recorded = record.get('start_time')
    if not isinstance(pid, int) or recorded is None:
        return None
    start = proc_start_time(pid)
    if start is None or start != recorded or proc_state(pid) == 'Z':
        return None
    return pid


def owned_group(record: dict) -> int | None:
    """The recorded process group when it is proven ours now, else None.

    Ours: its leader is alive with the recorded start time and still leads that group, or -
    the leader gone - a member carries the recorded marker in its environment (only our
    session's processes can be in a group our session created).  A pid or group id alone
    proves nothing: the kernel reuses them, also for new session leaders."""
    pid = record.get('pid')
    pgid = record.get('pgid', pid)
    if not isinstance(pgid, int) or pgid <= 1:
        return None
    leader = leader_alive(record)
    if leader is not None:
        return pgid if proc_pgid(leader) == pgid else None
    marker = record.get('marker')
    if marker and any(proc_has_marker(member, marker) for member in group_members(pgid)):
        return pgid
    return None


# -- launching and stopping ------------------------------------------------------

def launch(name: str, argv, run_dir: Path, log_path: Path, env=None, cwd=None) -> int:
    """Start argv in its own session (own process group), output appended to log_path.

    The process and its children get a fresh marker in their environment (recorded in the pid
    file) and umask 077: what they create (logs, databases, keys) is private."""
    marker = secrets.token_hex(16)
    env = dict(os.environ if env is None else env, **{MARKER_ENV: marker})
    with append_private(log_path) as log, open(os.devnull, 'rb') as devnull:
        offset = log.seek(0, os.SEEK_END)
        child = subprocess.Popen([str(a) for a in argv], stdin=devnull, stdout=log,
                                 stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                 start_new_session=True, close_fds=True, umask=CHILD_UMASK)
    PidFile(run_dir, name).write(child.pid, argv, log=str(log_path), log_offset=offset,
                                 marker=marker)
    return child.pid


def _warn(message: str) -> None:
    print(f'WARNING: {message}', file=sys.stderr, flush=True)


def stop(name: str, run_dir: Path, timeout: float = 6.0, sig=signal.SIGTERM,
         warn=_warn) -> bool:
    """Stop the process group recorded for name; True when something was stopped.

    Nothing is signalled unless owned_group() proves the group ours right before each signal;
    a record that cannot prove it (no start time, or a pid now used by another process) is
    reported through warn() when its pid is alive, and removed."""
    pidfile = PidFile(run_dir, name)
    record = pidfile.read()
    if not record:
        return False
    pid = record.get('pid')
    pgid = owned_group(record)
    if pgid is None:
        if isinstance(pid, int) and proc_start_time(pid) is not None:
            why = ('records no start time' if record.get('start_time') is None
                   else 'names a pid that is now another process (its start time differs)')
            warn(f'{name}: {pidfile.path} {why}: pid {pid} was not signalled; record removed')
        pidfile.remove()
        return False
    # the members now, proven ours with the group: identified by pid and start time
    members = {member: proc_start_time(member) for member in group_members(pgid)}
    _signal_group(pgid, sig)
    if not _wait_group_gone(pgid, timeout):
        if owned_group(record) == pgid:
            _signal_group(pgid, signal.SIGKILL)
        else:
            # the leader is gone and no member shows the marker (setproctitle, as Ironic's
            # does, overwrites the environment /proc shows): only the members seen above
            for member, start in members.items():
                if start is not None and proc_start_time(member) == start:
                    _signal_pid(member, signal.SIGKILL)
        _wait_group_gone(pgid, 3.0)
    pidfile.remove()
    return True


def _signal_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:   # pragma: no cover - not ours after all
        if exc.errno != errno.EPERM:
            raise


def _signal_pid(pid: int, sig) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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
    """Run a setup command with its output appended to log_path; ServiceError on failure.

    argv is written to the log: it must hold no secret (pass those in env)."""
    with append_private(log_path) as log:
        log.write(f'\n--- localcloud: {" ".join(str(a) for a in argv)}\n'.encode())
        log.flush()
        result = subprocess.run([str(a) for a in argv], stdout=log,
                                stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL,
                                umask=CHILD_UMASK)
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
