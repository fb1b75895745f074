# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the service helpers and translated once by the base.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

try:
    from keystoneauth1 import exceptions as ksa_exceptions
except ImportError:  # pragma: no cover
    ksa_exceptions = None


class CloudModuleError(Exception):
    """A failure the module reports with ``msg`` and extra result keys.

    ``details`` become top-level keys of the failed result (for example
    ``resource_id``, ``status``, ``status_reason``, ``failed_resources``).
    """

    def __init__(self, msg, **details):
        super(CloudModuleError, self).__init__(msg)
        self.msg = msg
        self.details = details


class InvalidInput(CloudModuleError):
    """The user's options are wrong; raised before any write request."""


class NotFound(CloudModuleError):
    """A referenced resource (profile, cluster, config, ...) does not exist."""


class Ambiguous(CloudModuleError):
    """A name matches more than one resource."""

    def __init__(self, kind, name, matches):
        ids = sorted(str(m.get('id') if isinstance(m, dict) else getattr(m, 'id', m)) for m in matches)
        super(Ambiguous, self).__init__(
            "More than one %s is named '%s': %s. Use the id instead." % (kind, name, ', '.join(ids)),
            matches=ids)


class ResourceFailed(CloudModuleError):
    """The service reports the resource or action in a failed state."""


class WaitTimeout(CloudModuleError):
    """The deadline passed before the resource reached the wanted state."""


def _http_details(exc):
    details = dict(status_code=getattr(exc, 'status_code', None), request_id=getattr(exc, 'request_id', None),
                   url=getattr(exc, 'url', None))
    return dict((k, v) for k, v in details.items() if v is not None)


def translate_exception(exc):
    """Map an exception to (msg, extra result keys). Unknown exceptions keep their type name."""
    if isinstance(exc, CloudModuleError):
        return exc.msg, dict(exc.details)
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.HttpException):
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
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.ConfigException):
        return 'Cloud configuration error: %s' % exc, {}
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.SDKException):
        return 'OpenStack error: %s' % exc, {}
    return '%s: %s' % (type(exc).__name__, exc), {}
