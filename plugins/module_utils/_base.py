# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base every module of this collection is built on.

``CloudModule`` wraps (does not inherit) ``AnsibleModule``: it merges the shared connection options
into the module's argument spec, builds the openstacksdk connection lazily (clouds.yaml, ``OS_*``
environment, ``cloud``/``auth`` options, as openstacksdk resolves them), runs the module's
``run()``, assembles ``changed`` and ``diff`` from a ``Difference``, and translates every exception
once into ``fail_json`` with a clear ``msg``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import logging
import os
import re
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED, Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, translate_exception
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import BoundedRequests, Deadline

try:
    import openstack
    HAS_SDK = True
    SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised only without openstacksdk
    HAS_SDK = False
    SDK_IMPORT_ERROR = traceback.format_exc()

APP_NAME = 'cloudrise.openstack'

SHARED_SPEC = dict(
    cloud=dict(type='raw'),
    auth=dict(type='dict', no_log=True),
    auth_type=dict(type='str'),
    region_name=dict(type='str'),
    validate_certs=dict(type='bool', aliases=['verify']),
    ca_cert=dict(type='str', aliases=['cacert']),
    client_cert=dict(type='str', aliases=['cert']),
    client_key=dict(type='str', no_log=True, aliases=['key']),
    api_timeout=dict(type='int'),
    interface=dict(type='str', default='public', choices=['public', 'internal', 'admin'],
                   aliases=['endpoint_type']),
    sdk_log_path=dict(type='path'),
    sdk_log_level=dict(type='str', default='INFO', choices=['INFO', 'DEBUG']),
    wait=dict(type='bool', default=True),
    timeout=dict(type='int', default=180),
)

# Shared option -> openstack.connect() keyword.
CONNECT_KWARGS = dict(
    auth_type='auth_type', auth='auth', region_name='region_name', validate_certs='verify',
    ca_cert='cacert', client_cert='cert', client_key='key', api_timeout='api_timeout', interface='interface',
)


SECRET_CONNECT_KWARGS = ('auth', 'key')
SECRET_AUTH_KEYS = ('password', 'token', 'secret', 'application_credential_secret', 'passcode', 'totp')


def clear_secrets(cloud):
    """The secret settings a cloud dict holds in clear (``auth.password``, ``auth.token``, ``key``, ...)."""
    found = ['auth.%s' % k for k in sorted(cloud.get('auth') or {}) if k in SECRET_AUTH_KEYS]
    return found + [k for k in ('key', 'password', 'token') if cloud.get(k)]


def private_file(path):
    """``path`` created (or made) readable and writable by its owner only, before anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


# The OS_* variables openstacksdk's loader (openstack/config/loader.py, _get_os_environ) takes as selectors only:
# alone they make no "envvars" cloud. Any other OS_* variable (but OS_TEST*, OS_STD*, OS_LOG*) does.
OS_SELECTORS = frozenset(('OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME'))
OS_IGNORED_PREFIXES = ('OS_TEST', 'OS_STD', 'OS_LOG')


def envvars_cloud_variables(environ):
    """The names of the ``OS_*`` variables from which openstacksdk builds its ``envvars`` cloud (sorted; empty
    when it builds none)."""
    return sorted(k for k in environ if k.startswith('OS_') and k not in OS_SELECTORS
                  and not k.startswith(OS_IGNORED_PREFIXES))


def clouds_yaml_in_use(environ, config_files):
    """The clouds.yaml openstacksdk reads (``OS_CLIENT_CONFIG_FILE`` first, then ``config_files``), or None."""
    candidates = [environ['OS_CLIENT_CONFIG_FILE']] if environ.get('OS_CLIENT_CONFIG_FILE') else []
    for path in candidates + list(config_files):
        if os.path.isfile(path):
            return path
    return None


def envvars_cloud_warning(cloud, environ, config_files):
    """The warning for a task whose cloud openstacksdk takes from stray ``OS_*`` variables although a clouds.yaml
    is there, or None.

    openstacksdk picks the cloud in this order: the ``cloud`` option; ``OS_CLOUD``; the ``envvars`` cloud when any
    ``OS_*`` variable other than the selectors is set; the only cloud of clouds.yaml. So a stray ``OS_AUTH_URL``
    hides the clouds.yaml an AWX credential gives (``OS_CLIENT_CONFIG_FILE`` only), without a word. The warning
    names the variables, never their values.
    """
    if cloud is not None or environ.get('OS_CLOUD'):
        return None
    names = envvars_cloud_variables(environ)
    path = clouds_yaml_in_use(environ, config_files) if names else None
    if not path:
        return None
    return ('cloud is not set and neither is OS_CLOUD, so openstacksdk uses its %r cloud, built from the environment '
            'variable(s) %s, and not the clouds in %s. Set cloud (or OS_CLOUD) to the cloud to use, or unset those '
            'variables.' % (environ.get('OS_CLOUD_NAME') or 'envvars', ', '.join(names), path))


def sdk_config_files():
    """The clouds.yaml paths openstacksdk searches after ``OS_CLIENT_CONFIG_FILE`` (its loader's CONFIG_FILES)."""
    try:
        from openstack.config import loader
    except ImportError:  # pragma: no cover - openstacksdk is checked before any connection
        return ()
    return getattr(loader, 'CONFIG_FILES', ())


class SecretLogFilter(logging.Filter):
    """Keeps secrets out of the SDK log.

    Request bodies (templates, hidden parameters, config drives, input values) are replaced by their size on
    keystoneauth's ``REQ: curl ... -d '<body>'`` lines, response bodies (``RESP BODY: ...``: stack outputs, webhook
    URLs) likewise, and every value Ansible knows as secret (the module's
    ``no_log`` options) is replaced by ``********`` in every record, whatever logger wrote it.
    """

    REQUEST_BODY = re.compile(r" -d '(.*)'$", re.S)

    def __init__(self, secrets):
        super(SecretLogFilter, self).__init__()
        self.secrets = secrets

    def filter(self, record):
        message = record.getMessage()
        if message.startswith('REQ: '):
            message = self.REQUEST_BODY.sub(lambda m: " -d '<body of %d bytes not logged>'" % len(m.group(1)), message)
        elif message.startswith('RESP BODY:'):  # keystoneauth's response body line (one logger, no split)
            message = 'RESP BODY: <%d bytes not logged>' % (len(message) - len('RESP BODY: '))
        for secret in sorted((str(v) for v in self.secrets if v), key=len, reverse=True):
            message = message.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


class AnsibleModuleLoggingSafely(AnsibleModule):
    """AnsibleModule whose "Invoked with" log line masks no_log values nested in list or dict options too.

    ansible-core logs such an option as ``str(value)``, i.e. with each nested string as its ``repr``: a no_log
    value with a newline, a quote or a backslash (a user-data script) is then written escaped, and the masking,
    which replaces the value as given, misses it. The escaped forms are added to the values to mask first.
    """

    def _log_invocation(self):
        self.no_log_values.update(escaped_forms(self.no_log_values))
        super(AnsibleModuleLoggingSafely, self)._log_invocation()


def escaped_forms(values):
    """The form each string takes inside ``str()`` of a list or dict (its ``repr`` without the quotes), where it
    differs from the string."""
    forms = set()
    for value in values:
        if isinstance(value, str):
            form = repr(value)[1:-1]
            if form != value:
                forms.add(form)
    return forms


def quick_exit():
    """Make the module process's exit quick: called right before exit_json/fail_json.

    With openstacksdk loaded a module holds about 1000 modules and 70,000 objects; Python's shutdown runs the
    cyclic garbage collector over all of them again while it clears the modules: 0.1 s of a quiet machine, 0.2-0.9 s
    of a loaded one, after the result is known (benchmarks/senlin_bench.py's ``exit``; 0.01-0.03 s frozen).
    ``gc.freeze()`` leaves the objects alive now to the process's end instead (the memory goes back with the
    process); the exit stays a normal one: atexit handlers, logging's flush and AnsiballZ's clean-up still run.
    """
    freeze = getattr(gc, 'freeze', None)   # Python >= 3.7
    if freeze is not None:
        freeze()


class CloudModule(object):
    """Base of every module: subclasses set ``argument_spec`` etc. and implement ``run()``.

    Class attributes:
      argument_spec   -- the module's own options, merged over SHARED_SPEC (may override wait/timeout)
      module_kwargs   -- extra AnsibleModule keywords (supports_check_mode, mutually_exclusive, ...)
      microversions   -- {service_type: microversion} the module requests (e.g. {'clustering': '1.12'})
    """

    argument_spec = {}
    module_kwargs = {}
    microversions = {}

    def __init__(self):
        spec = dict(SHARED_SPEC)
        spec.update(self.argument_spec)
        self.module = AnsibleModuleLoggingSafely(argument_spec=spec, **self.module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        self._conn = None
        # the task's time budget (``timeout``), made when the task starts: it bounds and retries the requests
        self.deadline = None

    # -- connection ---------------------------------------------------------------------------------
    def connect_kwargs(self):
        params = self.params
        cloud = params['cloud']
        explicit = dict((kw, params[opt]) for opt, kw in CONNECT_KWARGS.items() if params[opt] is not None)
        if params['interface'] == SHARED_SPEC['interface']['default']:
            explicit.pop('interface')
        if isinstance(cloud, dict):
            # the secrets may come as the no_log options auth/client_key: that keeps them out of the task's log
            secret = dict((kw, explicit.pop(kw)) for kw in SECRET_CONNECT_KWARGS if kw in explicit)
            if explicit:
                raise InvalidInput('When cloud is a dict, set its settings inside it, not as options: %s'
                                   % ', '.join(sorted(opt for opt, kw in CONNECT_KWARGS.items() if kw in explicit)))
            leaked = clear_secrets(cloud)
            if leaked:
                self.warn('cloud holds %s in clear text: Ansible logs a task\'s arguments on the managed host and '
                          'returns them when the task fails early. Pass secrets in auth (or client_key), which are '
                          'never logged, and keep the rest of the cloud dict in cloud.' % ', '.join(leaked))
            kwargs = dict(cloud)
            if 'auth' in secret:
                kwargs['auth'] = dict(cloud.get('auth') or {}, **secret.pop('auth'))
            kwargs.update(secret)
        else:
            kwargs = dict(explicit, interface=params['interface'])
            if cloud is not None:
                kwargs['cloud'] = str(cloud)
        for service, microversion in self.microversions.items():
            kwargs['%s_default_microversion' % service.replace('-', '_')] = microversion
        kwargs.setdefault('app_name', APP_NAME)
        return kwargs

    @property
    def conn(self):
        if self._conn is None:
            kwargs = self.connect_kwargs()
            warning = envvars_cloud_warning(self.params['cloud'], os.environ, sdk_config_files())
            if warning:
                self.warn(warning)
            self._conn = openstack.connect(**kwargs)
            self.bound_requests(self._conn)
        return self._conn

    def bound_requests(self, conn):
        """Every request of the connection (all services share its keystoneauth session) bounded by the task's
        deadline, and retried when transient and safe (``_wait.BoundedRequests``). ``api_timeout`` (the option,
        the cloud dict or clouds.yaml), when set, stays the most a request may wait for an answer."""
        if self.deadline is None:
            return
        session = conn.session
        if not isinstance(session.request, BoundedRequests):
            session.request = BoundedRequests(session.request, self.deadline, api_timeout=session.timeout)

    def _check_shared_options(self):
        """Shared options checked before any request."""
        for option in ('timeout', 'api_timeout'):
            value = self.params.get(option)
            if value is not None and value <= 0:
                raise InvalidInput('%s must be a positive number of seconds, got %s.' % (option, value))
        if self.params.get('validate_certs') is False:
            self.warn('validate_certs is false: the TLS certificates of the cloud are not checked, so anyone on the '
                      'network path can read and change the requests, credentials included. Use ca_cert for a '
                      'private CA instead.')

    def _setup_logging(self):
        """The SDK log (``sdk_log_path``): a file only its owner can read, without bodies or no_log values."""
        path = self.params['sdk_log_path']
        if not path:
            return
        debug = self.params['sdk_log_level'] == 'DEBUG'
        handler = logging.FileHandler(private_file(path))
        handler.addFilter(SecretLogFilter(self.module.no_log_values))
        openstack.enable_logging(debug=debug, http_debug=debug, handlers=[handler])
        # response bodies (stack outputs, webhook URLs, config drives) are never written
        logging.getLogger('keystoneauth.session.body').setLevel(logging.WARNING)

    # -- results ------------------------------------------------------------------------------------
    def result(self, difference=None, **values):
        """The module result: ``changed`` derived from ``difference``, ``diff`` when --diff is on."""
        difference = difference if difference is not None else Difference()
        result = dict(changed=difference.changed)
        if self.diff_mode:
            result['diff'] = difference.diff()
        result.update(values)
        return result

    def apply_or_predict(self, plan, apply, unchanged):
        """The last step of every module's shape: the resource after the task.

        ``apply()`` (the writes) when ``plan`` changes something in a real run; ``plan.predicted`` in check mode;
        ``unchanged`` (the resource as read) when there is nothing to do.
        """
        if not plan.changed:
            return unchanged
        return plan.predicted if self.check_mode else apply()

    def info_result(self, **values):
        """The result of an ``*_info`` module: never changed, no ``diff`` even with --diff."""
        result = dict(changed=False)
        result.update(values)
        return result

    def warn(self, msg):
        self.module.warn(msg)

    def run(self):
        raise NotImplementedError('%s must implement run()' % type(self).__name__)

    # -- execution ----------------------------------------------------------------------------------
    def __call__(self):
        if not HAS_SDK:
            self.module.fail_json(msg=missing_required_lib('openstacksdk'), exception=SDK_IMPORT_ERROR)
        try:
            self._check_shared_options()
            if self.params.get('timeout'):
                self.deadline = Deadline(self.params['timeout'])
            self._setup_logging()
            result = self.run()
        except Exception as exc:  # translated once, here
            msg, details = translate_exception(exc)
            if not isinstance(exc, CloudModuleError):
                # An expected failure needs only its message; anything else keeps its traceback for -vvv.
                details.setdefault('exception', traceback.format_exc())
            quick_exit()
            self.module.fail_json(msg=msg, **details)
        quick_exit()
        self.module.exit_json(**result)


class CloudConnection(object):
    """The connection of ``CloudModule`` for code that is not a module (the inventory plugin).

    It takes the shared connection options as a dict (``cloud``, ``auth``, ``region_name``, ... with
    ``CloudModule``'s names and meaning) and builds the same openstacksdk connection, with the same checks
    (a dict ``cloud`` and loose options, secrets in clear), through ``CloudModule``'s own methods.
    ``warn`` receives the warnings; ``timeout`` (seconds), when set, bounds and retries the requests as a task's.
    """

    connect_kwargs = CloudModule.connect_kwargs
    conn = CloudModule.conn
    bound_requests = CloudModule.bound_requests

    def __init__(self, options, microversions=None, warn=None, timeout=None):
        params = dict((name, spec.get('default')) for name, spec in SHARED_SPEC.items())
        params.update((name, value) for name, value in options.items() if name in SHARED_SPEC)
        self.params = params
        self.microversions = dict(microversions or {})
        self._warn = warn
        self._conn = None
        self.deadline = Deadline(timeout) if timeout else None

    def warn(self, msg):
        if self._warn is not None:
            self._warn(msg)

    def authenticate(self):
        """The connection, authenticated now: bad credentials or an unreachable Keystone raise here."""
        if not HAS_SDK:
            raise InvalidInput(missing_required_lib('openstacksdk'))
        # keystoneauth's own exceptions (Unauthorized, ConnectFailure ...), which translate_exception words; the
        # SDK's authorize() would turn them all into one SDKException
        self.conn.session.get_token()
        return self.conn
