"""Settings from the environment, paths of the state directory, and ini rendering."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

TOOL_DIR = Path(__file__).resolve().parent.parent          # tools/localcloud
REPO_ROOT = TOOL_DIR.parent.parent
REQUIREMENTS_DIR = TOOL_DIR / 'requirements'
HOST = '127.0.0.1'
REGION = 'RegionOne'
CLOUD_ADMIN = 'localcloud'
CLOUD_DEMO = 'localcloud-demo'

DEFAULT_PORTS = {
    'keystone': 5000,
    'heat': 8004,
    'senlin': 8778,
    'ironic': 6385,
    'images': 8089,
    'mariadb': 3307,
}

DB_CHOICES = ('auto', 'sqlite', 'mariadb')

# Keystone runs as uWSGI processes of one thread each, as devstack deploys it: with request
# threads in one process, concurrent requests mix up their scope (Heat's create_trust got
# 403 "request was made with domain scope" 1 time in 3).  LOCALCLOUD_KEYSTONE_THREADS > 1
# reproduces that race.
KEYSTONE_MAX_PROCESSES = 4


def default_keystone_processes(cpus: int | None) -> int:
    """One more process than cores (a request waiting on sqlite or bcrypt leaves a core
    idle), at least 2 (one slow request must not stall the rest) and at most
    KEYSTONE_MAX_PROCESSES (~130 MiB each): 3 on 2 cores."""
    return max(2, min(KEYSTONE_MAX_PROCESSES, (cpus or 1) + 1))


@dataclasses.dataclass(frozen=True)
class Knob:
    """A test-speed setting: the tool's default and the service's stock value."""

    env: str
    fast: float
    stock: float
    doc: str


KNOBS = {
    'fake_rpc_poll': Knob(
        'LOCALCLOUD_FAKE_RPC_POLL', 0.005, 0.05,
        "oslo.messaging fake:// queue poll (Heat, Senlin); caps its 50 ms sleep"),
    'senlin_action_poll': Knob(
        'LOCALCLOUD_SENLIN_ACTION_POLL', 0.2, 3.0,
        "Senlin cluster actions' fixed sleep while waiting for node actions"),
    'senlin_heat_poll': Knob(
        'LOCALCLOUD_SENLIN_HEAT_POLL', 0.2, 2.0,
        "Senlin's Heat driver stack polling (create/update/delete)"),
    'heat_task_step': Knob(
        'LOCALCLOUD_HEAT_TASK_STEP', 1.0, 1.0,
        "cap of Heat's 1 s sleep between TaskRunner steps (stock by default)"),
}


def knob_values(environ) -> dict[str, float]:
    """Values of the speed knobs: stock with LOCALCLOUD_STOCK_TIMING=1, else fast,
    each overridable by its own variable."""
    stock = environ.get('LOCALCLOUD_STOCK_TIMING', '') not in ('', '0', 'false', 'no')
    values = {}
    for name, knob in KNOBS.items():
        raw = environ.get(knob.env)
        if raw:
            values[name] = float(raw)
        else:
            values[name] = knob.stock if stock else knob.fast
    return values


@dataclasses.dataclass
class Settings:
    """Everything the tool decides from the environment and the command line."""

    home: Path
    db: str = 'auto'                 # auto | sqlite | mariadb (what was asked for)
    nodes: int = 4
    python: str = 'python3'
    install_mariadb: bool = False
    ports: dict = dataclasses.field(default_factory=lambda: dict(DEFAULT_PORTS))
    knobs: dict = dataclasses.field(default_factory=dict)
    ready_timeout: float = 90.0
    ironic_deploy_delay: float = 0.0
    keystone_processes: int = 3
    keystone_threads: int = 1        # > 1 reproduces the scope race (see above)
    wheelhouse: Path = Path.home() / '.cache' / 'localcloud' / 'wheels'

    # -- paths ---------------------------------------------------------------
    @property
    def venvs(self) -> Path:
        return self.home / 'venvs'

    @property
    def state(self) -> Path:
        return self.home / 'state'

    @property
    def etc(self) -> Path:
        return self.state / 'etc'

    @property
    def data(self) -> Path:
        return self.state / 'data'

    @property
    def logs(self) -> Path:
        return self.state / 'logs'

    @property
    def run(self) -> Path:
        return self.state / 'run'

    @property
    def images(self) -> Path:
        return self.state / 'images'

    @property
    def clouds_yaml(self) -> Path:
        return self.state / 'clouds.yaml'

    @property
    def facts_file(self) -> Path:
        return self.state / 'localcloud.json'

    def venv(self, name: str) -> Path:
        return self.venvs / name

    def log(self, service: str) -> Path:
        return self.logs / f'{service}.log'

    def url(self, service: str) -> str:
        return f'http://{HOST}:{self.ports[service]}'

    @property
    def auth_url(self) -> str:
        return self.url('keystone') + '/v3'

    def make_dirs(self) -> None:
        """The state's directories, 0700 (the state holds passwords and keys)."""
        for path in (self.home, self.state, self.etc, self.data, self.logs, self.run,
                     self.images):
            private_dir(path)


def _truthy(value: str | None) -> bool:
    return (value or '').strip().lower() in ('1', 'true', 'yes', 'on')


def settings_from_env(environ=None, repo_root: Path = REPO_ROOT) -> Settings:
    environ = os.environ if environ is None else environ
    home = Path(environ.get('LOCALCLOUD_HOME') or repo_root / '.localcloud').absolute()
    db = environ.get('LOCALCLOUD_DB', 'auto') or 'auto'
    if db not in DB_CHOICES:
        raise ValueError(f'LOCALCLOUD_DB={db!r}: expected one of {", ".join(DB_CHOICES)}')
    ports = dict(DEFAULT_PORTS)
    for name in ports:
        raw = environ.get(f'LOCALCLOUD_PORT_{name.upper()}')
        if raw:
            ports[name] = int(raw)
    cache = Path(environ.get('XDG_CACHE_HOME') or Path.home() / '.cache')
    return Settings(
        home=home,
        wheelhouse=Path(environ.get('LOCALCLOUD_WHEELHOUSE') or cache / 'localcloud' / 'wheels'),
        db=db,
        nodes=int(environ.get('LOCALCLOUD_NODES', '4')),
        python=environ.get('LOCALCLOUD_PYTHON', 'python3'),
        install_mariadb=_truthy(environ.get('LOCALCLOUD_INSTALL_MARIADB')),
        ports=ports,
        knobs=knob_values(environ),
        ready_timeout=float(environ.get('LOCALCLOUD_READY_TIMEOUT', '90')),
        ironic_deploy_delay=float(environ.get('LOCALCLOUD_IRONIC_DEPLOY_DELAY', '0')),
        keystone_processes=_positive_int(
            environ, 'LOCALCLOUD_KEYSTONE_PROCESSES',
            default_keystone_processes(len(os.sched_getaffinity(0)))),
        keystone_threads=_positive_int(environ, 'LOCALCLOUD_KEYSTONE_THREADS', 1),
    )


def _positive_int(environ, name: str, default: int) -> int:
    raw = (environ.get(name) or '').strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f'{name}={raw!r}: expected a whole number >= 1')
    return value


def mariadb_available() -> bool:
    return bool(shutil.which('mariadbd') or _sbin('mariadbd')) and bool(
        shutil.which('mariadb-install-db'))


def _sbin(name: str) -> str | None:
    for folder in ('/usr/sbin', '/usr/local/sbin', '/sbin'):
        path = Path(folder) / name
        if path.exists():
            return str(path)
    return None


def mariadbd_path() -> str | None:
    return shutil.which('mariadbd') or _sbin('mariadbd')


def choose_db(asked: str, have_mariadb: bool) -> str:
    """The backend for Heat and Ironic: 'mariadb' or 'sqlite'."""
    if asked == 'auto':
        return 'mariadb' if have_mariadb else 'sqlite'
    if asked == 'mariadb' and not have_mariadb:
        raise RuntimeError('MariaDB asked for (LOCALCLOUD_DB=mariadb / --db mariadb) but '
                           'mariadbd is not installed: apt-get install mariadb-server, or run '
                           'up --install-mariadb as root')
    return asked


# -- ini files -----------------------------------------------------------------

def render_ini(sections: dict) -> str:
    """Render {section: {key: value}} as an oslo.config ini file.

    Values: str/int/float as is, bool as true/false, lists comma-joined; None skips the key.
    """
    out = []
    for section, values in sections.items():
        out.append(f'[{section}]')
        for key, value in values.items():
            if value is None:
                continue
            out.append(f'{key} = {_ini_value(value)}')
        out.append('')
    return '\n'.join(out)


def _ini_value(value) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(str(v) for v in value)
    return str(value)


def authtoken_section(settings: Settings, username: str, password: str) -> dict:
    """[keystone_authtoken] for a service user that is admin on project 'service'."""
    return {
        'www_authenticate_uri': settings.auth_url,
        'auth_url': settings.auth_url,
        'auth_type': 'password',
        'username': username,
        'password': password,
        'project_name': 'service',
        'user_domain_name': 'Default',
        'project_domain_name': 'Default',
        'region_name': REGION,
    }


def sqlite_url(path: Path) -> str:
    return f'sqlite:///{path}'


# -- private files and directories -------------------------------------------------
# The state holds the passwords of every user, Heat's encryption key, Keystone's fernet keys
# and the services' databases: directories are made 0700 and files 0600 when they are
# created (os.mkdir / os.open with the mode), never opened up first and narrowed afterwards.

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
CHILD_UMASK = 0o077          # for the services and setup commands (their DBs, logs, keys)


def private_dir(path: Path) -> Path:
    """Make path a directory of mode 0700: missing directories (parents included) are created
    0700; an existing one is narrowed to 0700 (a state made before this rule)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR)
        except FileExistsError:
            pass
    if path.stat().st_mode & 0o077:
        os.chmod(path, path.stat().st_mode & PRIVATE_DIR)
    return path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                 mode: int = PRIVATE_FILE) -> int:
    """os.open a file that, when it is created, is created with `mode` (0600)."""
    private_dir(Path(path).parent)
    return os.open(path, flags | getattr(os, 'O_CLOEXEC', 0), mode)


def append_private(path: Path):
    """A binary append handle of path (created 0600): the tool's logs."""
    return os.fdopen(open_private(path), 'ab')


def write_if_changed(path: Path, text: str, mode: int = PRIVATE_FILE) -> bool:
    """Write text to path unless it already holds it; True when written.

    The text goes to a temporary file created 0600 in the same directory (mkstemp), which then
    replaces path: a reader never sees a partial file, and the content is never readable by
    others, not even for a moment.  A file that already holds the text keeps it, with its
    mode narrowed to `mode`."""
    path = Path(path)
    if path.exists() and path.read_text() == text:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
        return False
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as handle:
            if mode != PRIVATE_FILE:
                os.fchmod(handle.fileno(), mode)
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
