"""The whole local cloud: bring services up in dependency order, stop, report."""

from __future__ import annotations

import concurrent.futures
import shutil
import threading
import time

from . import identity, ironic, proc, state, venvs
from .config import (CLOUD_ADMIN, CLOUD_DEMO, HOST, KNOBS, REGION, Settings, choose_db,
                     mariadb_available)
from .heat import Heat
from .imageserver import ImageServer
from .ironic import Ironic
from .keystone import Keystone
from .mariadb import MariaDB
from .mariadb import install as install_mariadb
from .senlin import Senlin
from .service import Context

SQLITE_WARNING = (
    'WARNING: Heat and Ironic use sqlite ({why}). Every DB '
    'transaction of Heat and Ironic is serialised (BEGIN IMMEDIATE, 30 s busy wait): fine '
    'for serial tests and light parallel use, but upstream Ironic supports sqlite for '
    'serial use only, and heavy parallel allocations/deployments or Senlin clusters may '
    'stall or fail with "database is locked". For parallel tests: apt-get install '
    'mariadb-server (or, as root, `localcloud up --install-mariadb`), then `localcloud '
    'reset` and `up`.')

# (catalog service name, type, user) for the services registered in Keystone
CATALOG = (('heat', 'orchestration', 'heat'), ('senlin', 'clustering', 'senlin'),
           ('ironic', 'baremetal', 'ironic'))


class Cloud:
    def __init__(self, settings: Settings, echo=print):
        self.settings = settings
        self.echo = echo
        self._lock = threading.Lock()

    # -- setup -------------------------------------------------------------------
    def _db_backend(self) -> str:
        recorded = state.recorded_db(self.settings)
        asked = self.settings.db
        if recorded and asked == 'auto':
            asked = recorded
        if asked != 'sqlite' and self.settings.install_mariadb and not mariadb_available():
            install_mariadb(self.echo)
        return choose_db(asked, mariadb_available())

    def context(self, db: str | None = None) -> Context:
        db = db or state.recorded_db(self.settings) or 'sqlite'
        record = state.load_or_create(self.settings, db)
        return Context(self.settings, record['secrets'], record['db'], self.echo)

    def services(self, ctx: Context) -> list:
        """Every managed service, in start order (stage 1 before Keystone's clients)."""
        found = [ImageServer(ctx), Keystone(ctx), Heat(ctx), Senlin(ctx), Ironic(ctx)]
        if ctx.db == 'mariadb':
            found.insert(0, MariaDB(ctx))
        return found

    # -- up ------------------------------------------------------------------------
    def up(self) -> int:
        start = time.monotonic()
        self._check_venvs_not_in_use()
        venvs.ensure(self.settings, echo=self.echo)
        ctx = self.context(self._db_backend())
        if ctx.db == 'sqlite':
            why = ('asked for, or the state was made so' if mariadb_available()
                   else 'MariaDB/mariadbd is not installed')
            self.echo(SQLITE_WARNING.format(why=why))
        self.settings.make_dirs()
        if state.make_private(self.settings, ctx.secrets):
            self.echo(f'made {self.settings.state} private (0700/0600) and removed secrets '
                      'an older version had written to its logs')
        state.write_clouds_yaml(self.settings, ctx.secrets)
        by_name = {svc.name: svc for svc in self.services(ctx)}
        first = [by_name[n] for n in ('mariadb', 'images', 'keystone') if n in by_name]
        second = [by_name[n] for n in ('heat', 'senlin', 'ironic')]
        started: list = []
        try:
            self._check_ports(by_name.values())
            self._stage(first, started)
            catalog = [(name, type_, by_name[name].endpoint, user)
                       for name, type_, user in CATALOG]
            made = identity.ensure(self.settings, ctx.child_env(),
                                   identity.spec(self.settings, ctx.secrets, catalog))
            if made is not None:
                self._renew_caches(by_name['keystone'], started)
            self._stage(second, started)
            nodes = self._nodes(ctx, fresh=bool(started))
        except proc.ServiceError as exc:
            self._fail(exc, started)
            return 1
        except BaseException:            # a bug or ^C: still leave no orphan behind
            self._stop_all(started)
            raise
        facts = self.facts(ctx, by_name.values(), nodes)
        state.write_facts(self.settings, facts)
        self.echo(f'localcloud up in {time.monotonic() - start:.1f} s: '
                  f'{len(nodes)} bare-metal nodes, Heat/Ironic DB {ctx.db}; '
                  f'eval "$({self._self_cmd()} env)"')
        return 0

    def _check_venvs_not_in_use(self) -> None:
        stale = [name for name in venvs.LOCKS if not venvs.is_current(self.settings, name)]
        running = [svc.name for svc in self._known_services() if svc.pid() is not None]
        if stale and running:
            raise RuntimeError(f'venv(s) {", ".join(stale)} must be rebuilt (lock file changed) '
                               f'but {", ".join(running)} run from them: `localcloud down` first')

    def _check_ports(self, services) -> None:
        """Before starting anything: every port we are about to use must be free."""
        errors = []
        for svc in services:
            if svc.pid() is None:
                try:
                    svc.check_port()
                except proc.ServiceError as exc:
                    errors.append(exc)
        for extra in errors[1:]:
            self._report(extra)
        if errors:
            raise errors[0]

    def _stage(self, services, started) -> None:
        """Bring services up in parallel; raise the first ServiceError after all finished."""
        with concurrent.futures.ThreadPoolExecutor(len(services)) as pool:
            results = list(pool.map(lambda svc: self._try_bring_up(svc, started), services))
        errors = [r for r in results if isinstance(r, proc.ServiceError)]
        if errors:
            for extra in errors[1:]:
                self._report(extra)
            raise errors[0]

    def _try_bring_up(self, svc, started):
        try:
            self._bring_up(svc, started)
        except proc.ServiceError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - reported like a failed start
            return proc.ServiceError(svc.name, f'{type(exc).__name__}: {exc}',
                                     proc.tail(svc.log_path))
        return None

    def _bring_up(self, svc, started) -> None:
        pid = svc.pid()
        if pid is not None:
            took = 0.0 if svc.is_ready() else svc.wait_ready(min(30.0, self.settings.ready_timeout))
            self._line(svc, f'running (pid {pid})' + (f', ready after {took:.1f} s' if took else ''))
            return
        svc.check_port()
        t0 = time.monotonic()
        svc.prepare()
        prepared = time.monotonic() - t0
        svc.launch()
        with self._lock:
            started.append(svc)
        ready = svc.wait_ready()
        svc.after_start()
        setup = f' (+{prepared:.1f} s setup)' if prepared >= 0.5 else ''
        self._line(svc, f'started, ready in {ready:.1f} s{setup}')

    def _renew_caches(self, keystone, started) -> None:
        """Restart Keystone after its catalog, projects, users and roles were created.

        Each of its uWSGI processes keeps its own cache (oslo_cache.dict; upstream shares one in
        memcached): a process that cached the catalog or a role assignment before these objects
        existed would go on serving it, e.g. a token whose catalog lacks the baremetal endpoint
        (seen: node enrollment on a fresh cloud failed so).  With one process there is nothing to do."""
        if self.settings.keystone_processes < 2:
            return
        keystone.stop()
        with self._lock:
            if keystone in started:
                started.remove(keystone)
        self._bring_up(keystone, started)

    def _line(self, svc, what: str) -> None:
        self.echo(f'  {svc.name:<9} {_where(svc):<30} {what}')

    def _nodes(self, ctx, fresh: bool) -> list:
        known = state.read_facts(self.settings).get('nodes', [])
        if not fresh and len(known) >= self.settings.nodes:
            return known
        t0 = time.monotonic()
        nodes = ironic.enroll(self.settings, ctx.child_env(), max(self.settings.nodes, len(known)))
        self.echo(f'  nodes     {len(nodes)} fake bare-metal nodes available '
                  f'({time.monotonic() - t0:.1f} s)')
        return nodes

    def _report(self, exc: proc.ServiceError) -> None:
        self.echo(f'ERROR: {exc}')
        if exc.log_tail:
            self.echo(f'--- last lines of the {exc.service} log ---\n{exc.log_tail}\n---')

    def _fail(self, exc, started) -> None:
        self._report(exc)
        if started:
            names = ', '.join(svc.name for svc in started)
            self.echo(f'stopping what this run started: {names}')
            self._stop_all(started)

    # -- enroll --------------------------------------------------------------------
    def enroll(self, more: int) -> int:
        ctx = self.context()
        by_name = {svc.name: svc for svc in self.services(ctx)}
        if not by_name['ironic'].status()[0] or not by_name['keystone'].status()[0]:
            self.echo('ERROR: the cloud is not running (localcloud up)')
            return 1
        facts = state.read_facts(self.settings)
        count = len(facts.get('nodes', [])) + more
        try:
            nodes = ironic.enroll(self.settings, ctx.child_env(), count)
        except proc.ServiceError as exc:
            self._report(exc)
            return 1
        facts['nodes'] = nodes
        state.write_facts(self.settings, facts)
        for node in nodes:
            self.echo(f'{node["name"]:<12} {node["uuid"]} {node["provision_state"]:<10} '
                      f'{",".join(node["traits"]):<14} {node["capabilities"]}')
        return 0

    # -- down / status / reset ---------------------------------------------------------
    def _known_services(self) -> list:
        if not (self.settings.state / 'state.json').exists():
            return []
        return self.services(self.context())

    def down(self) -> int:
        t0 = time.monotonic()
        services = self._known_services()
        stopped = self._stop_all(services)
        busy = [svc for svc in services if not proc.port_free(HOST, svc.port)]
        for svc in busy:
            self.echo(f'WARNING: port {svc.port} ({svc.name}) is still taken')
        names = ', '.join(stopped) if stopped else 'nothing was running'
        self.echo(f'localcloud down in {time.monotonic() - t0:.1f} s: {names}')
        return 1 if busy else 0

    def _stop_all(self, services) -> list[str]:
        """Stop the clients in parallel, then MariaDB (they may write while stopping)."""
        clients = [svc for svc in services if svc.name != 'mariadb']
        database = [svc for svc in services if svc.name == 'mariadb']
        stopped = []
        for group in (clients, database):
            if not group:
                continue
            with concurrent.futures.ThreadPoolExecutor(len(group)) as pool:
                for svc, done in zip(group, pool.map(lambda s: s.stop(), group)):
                    if done:
                        stopped.append(svc.name)
        return stopped

    def status(self) -> int:
        services = self._known_services()
        if not services:
            self.echo(f'localcloud: no state in {self.settings.state} (run `localcloud up`)')
            return 1
        down = []
        for svc in services:
            up, detail = svc.status()
            pid = svc.pid()
            rss = proc.rss_kib(proc.group_members(pid)) // 1024 if pid else 0
            extra = f', rss {rss} MiB' if pid else ''
            self.echo(f'  {svc.name:<9} {"up" if up else "DOWN":<5} {_where(svc):<30} {detail}{extra}')
            if not up:
                down.append(svc.name)
        if down:
            self.echo(f'localcloud: down: {", ".join(down)}')
            return 1
        self.echo('localcloud: all services up')
        return 0

    def reset(self) -> int:
        self.down()
        if self.settings.state.exists():
            shutil.rmtree(self.settings.state)
        self.echo(f'removed {self.settings.state} (venvs kept in {self.settings.venvs})')
        return 0

    # -- facts -------------------------------------------------------------------------
    def facts(self, ctx, services, nodes) -> dict:
        services = {svc.name: svc.facts() for svc in services}
        images = services['images']
        return {
            'home': str(self.settings.home),
            'state': str(self.settings.state),
            'clouds_yaml': str(self.settings.clouds_yaml),
            'clouds': {'admin': CLOUD_ADMIN, 'demo': CLOUD_DEMO},
            # the passwords are in clouds.yaml (0600) only
            'credentials': {
                'admin': {'username': 'admin', 'project_name': 'admin', 'cloud': CLOUD_ADMIN},
                'demo': {'username': 'demo', 'project_name': 'demo', 'roles': ['member'],
                         'cloud': CLOUD_DEMO},
            },
            'projects': identity.recorded(self.settings),
            'auth_url': self.settings.auth_url,
            'region': REGION,
            'services': services,
            'catalog': {'identity': self.settings.auth_url,
                        'orchestration': services['heat']['endpoint'],
                        'clustering': services['senlin']['url'],
                        'baremetal': services['ironic']['url']},
            'db': {'backend': ctx.db, 'heat': ctx.db, 'ironic': ctx.db,
                   'keystone': 'sqlite', 'senlin': 'sqlite',
                   'parallel_baremetal_ok': ctx.db == 'mariadb'},
            'image': {'url': images['image_url'], 'checksum': images['checksum'],
                      'checksum_type': 'sha256', 'checksum_url': images['checksum_url'],
                      'size': images['size']},
            'nodes': nodes,
            'knobs': {name: {'value': self.settings.knobs[name], 'stock': knob.stock,
                             'env': knob.env} for name, knob in KNOBS.items()},
        }

    @staticmethod
    def _self_cmd() -> str:
        return 'tools/localcloud/localcloud'


def _where(svc) -> str:
    if svc.name == 'mariadb':
        return f'mysql://{HOST}:{svc.port}'
    return svc.url + ('/v3' if svc.name == 'keystone' else '')
