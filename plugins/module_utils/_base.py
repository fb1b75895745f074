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

import re
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, SdkTooOld

try:
    import openstack
    from openstack import exceptions as sdk_exceptions
    HAS_SDK = True
    SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised only without openstacksdk
    HAS_SDK = False
    SDK_IMPORT_ERROR = traceback.format_exc()

try:
    from keystoneauth1 import exceptions as ksa_exceptions
except ImportError:  # pragma: no cover
    ksa_exceptions = None

try:
    from importlib.metadata import PackageNotFoundError, version as _dist_version
except ImportError:  # pragma: no cover - Python < 3.8
    _dist_version = None
    PackageNotFoundError = Exception

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


def sdk_version():
    """The installed openstacksdk version as a tuple of ints, or None when unknown."""
    if _dist_version is None:
        return None
    try:
        text = _dist_version('openstacksdk')
    except PackageNotFoundError:
        return None
    return version_tuple(text)


def version_tuple(text):
    """'4.22.0' -> (4, 22, 0); pre-release and dev suffixes end the tuple ('1.2rc1' -> (1, 2))."""
    parts = []
    for piece in str(text).split('.'):
        match = re.match(r'\d+', piece)
        if not match:
            break
        parts.append(int(match.group(0)))
        if match.end() != len(piece):
            break
    return tuple(parts)


def require_sdk(minimum, feature):
    """Fail with a clear message when the installed openstacksdk is older than ``minimum`` for ``feature``."""
    have = sdk_version()
    if have is not None and have < version_tuple(minimum):
        raise SdkTooOld('%s needs openstacksdk >= %s; installed: %s' % (feature, minimum, '.'.join(map(str, have))))


def to_dict(resource):
    """A JSON-friendly dict of an SDK resource (``location`` dropped), a dict, or None."""
    if resource is None:
        return None
    if hasattr(resource, 'to_dict'):
        data = resource.to_dict(computed=False)
    else:
        data = dict(resource)
    data.pop('location', None)
    return data


class CloudModule(object):
    """Base of every module: subclasses set ``argument_spec`` etc. and implement ``run()``.

    Class attributes:
      argument_spec   -- the module's own options, merged over SHARED_SPEC (may override wait/timeout)
      module_kwargs   -- extra AnsibleModule keywords (supports_check_mode, mutually_exclusive, ...)
      microversions   -- {service_type: microversion} the module requests (e.g. {'clustering': '1.12'})
      min_sdk_version -- the oldest openstacksdk the module works with
    """

    argument_spec = {}
    module_kwargs = {}
    microversions = {}
    min_sdk_version = None

    def __init__(self):
        spec = dict(SHARED_SPEC)
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **self.module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        self._conn = None

    # -- connection ---------------------------------------------------------------------------------
    def connect_kwargs(self):
        params = self.params
        cloud = params['cloud']
        explicit = dict((kw, params[opt]) for opt, kw in CONNECT_KWARGS.items() if params[opt] is not None)
        if params['interface'] == SHARED_SPEC['interface']['default']:
            explicit.pop('interface')
        if isinstance(cloud, dict):
            if explicit:
                raise InvalidInput('When cloud is a dict, set its settings inside it, not as options: %s'
                                   % ', '.join(sorted(opt for opt, kw in CONNECT_KWARGS.items() if kw in explicit)))
            kwargs = dict(cloud)
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
            self._conn = openstack.connect(**self.connect_kwargs())
        return self._conn

    def _setup_logging(self):
        if self.params['sdk_log_path']:
            debug = self.params['sdk_log_level'] == 'DEBUG'
            openstack.enable_logging(debug=debug, http_debug=debug, path=self.params['sdk_log_path'])

    # -- results ------------------------------------------------------------------------------------
    def result(self, difference=None, **values):
        """The module result: ``changed`` derived from ``difference``, ``diff`` when --diff is on."""
        difference = difference if difference is not None else Difference()
        result = dict(changed=difference.changed)
        if self.diff_mode:
            result['diff'] = difference.diff()
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
            if self.min_sdk_version:
                require_sdk(self.min_sdk_version, self.module._name)
            self._setup_logging()
            result = self.run()
        except Exception as exc:  # translated once, here
            msg, details = translate_exception(exc)
            if not isinstance(exc, CloudModuleError):
                # An expected failure needs only its message; anything else keeps its traceback for -vvv.
                details.setdefault('exception', traceback.format_exc())
            self.module.fail_json(msg=msg, **details)
        self.module.exit_json(**result)


def _http_details(exc):
    details = dict(status_code=getattr(exc, 'status_code', None), request_id=getattr(exc, 'request_id', None),
                   url=getattr(exc, 'url', None))
    return dict((k, v) for k, v in details.items() if v is not None)


def translate_exception(exc):
    """Map an exception to (msg, extra result keys). Unknown exceptions keep their type name."""
    if isinstance(exc, CloudModuleError):
        return exc.msg, dict(exc.details)
    if HAS_SDK and isinstance(exc, sdk_exceptions.HttpException):
        details = _http_details(exc)
        reason = getattr(exc, 'details', None) or getattr(exc, 'message', None) or str(exc)
        return 'OpenStack API error %s: %s' % (details.get('status_code', '?'), reason), details
    if ksa_exceptions is not None:
        if isinstance(exc, ksa_exceptions.Unauthorized):
            return 'Authentication failed (check the credentials of the cloud): %s' % exc, _http_details(exc)
        if isinstance(exc, ksa_exceptions.ConnectFailure):
            return 'Cannot connect to the OpenStack endpoint: %s' % exc, {}
        if isinstance(exc, (ksa_exceptions.ConnectTimeout, ksa_exceptions.ConnectionError)):
            return 'Connection to the OpenStack endpoint failed: %s' % exc, {}
        if isinstance(exc, ksa_exceptions.EndpointNotFound):
            return 'The service is not in the cloud catalog: %s' % exc, {}
        if isinstance(exc, ksa_exceptions.ClientException):
            return 'OpenStack client error: %s' % exc, {}
    if HAS_SDK and isinstance(exc, sdk_exceptions.ConfigException):
        return 'Cloud configuration error: %s' % exc, {}
    if HAS_SDK and isinstance(exc, sdk_exceptions.SDKException):
        return 'OpenStack error: %s' % exc, {}
    return '%s: %s' % (type(exc).__name__, exc), {}
