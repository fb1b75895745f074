# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the service helpers and translated once by the base.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import re

# Every module imports openstacksdk here first. The import makes about 800 modules' worth of objects, and each
# burst of allocations starts the garbage collector again, which walks the ever larger heap for cycles that an
# import does not leave: about a sixth of the import's CPU. Paused for the import, restored as it was.
_GC_WAS_ENABLED = gc.isenabled()
gc.disable()
try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None
finally:
    if _GC_WAS_ENABLED:
        gc.enable()

try:
    from keystoneauth1 import exceptions as ksa_exceptions
except ImportError:  # pragma: no cover
    ksa_exceptions = None

# Answers of a proxy or load balancer in front of a service that is restarting or overloaded: worth another try.
TRANSIENT_STATUS_CODES = (502, 503, 504)


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


_StallBase = ksa_exceptions.ConnectTimeout if ksa_exceptions is not None else Exception


class RequestStalled(_StallBase):
    """A request got no answer within its timeout (a keystoneauth ``ConnectTimeout``, so handled as one)."""

    def __init__(self, msg, method=None, url=None):
        super(RequestStalled, self).__init__(msg)
        self.msg, self.method, self.url = msg, method, url


def status_code_of(exc):
    """The HTTP status of an openstacksdk or keystoneauth HTTP error, else None."""
    for attr in ('status_code', 'http_status'):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    return None


def is_transient(exc):
    """True for a failure that another try of the same request may not have: a 502/503/504 answer, a
    connection refused, reset or timed out, a read timeout. Never for a 4xx, a 500, a TLS error or a typed
    error of this collection."""
    if isinstance(exc, CloudModuleError):
        return False
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.HttpException):
        return status_code_of(exc) in TRANSIENT_STATUS_CODES
    if ksa_exceptions is not None:
        if isinstance(exc, ksa_exceptions.HttpError):
            return status_code_of(exc) in TRANSIENT_STATUS_CODES
        if isinstance(exc, ksa_exceptions.RetriableConnectionFailure):
            return True
    return False


def not_sent(exc):
    """True when a failed request surely never reached the service (no connection was made), so that even a
    write may be sent again. A reset, a lost answer or a read timeout after sending is not such a failure."""
    if ksa_exceptions is None or isinstance(exc, RequestStalled):
        return False
    if not isinstance(exc, (ksa_exceptions.ConnectFailure, ksa_exceptions.ConnectTimeout)):
        return False
    cause = exc.__cause__ or exc.__context__  # the requests exception keystoneauth translated
    if cause is None:
        return False
    if type(cause).__name__ == 'ConnectTimeout':  # requests' timeout while connecting
        return True
    reason = getattr(cause.args[0], 'reason', None) if cause.args else None
    return type(reason).__name__ in ('NewConnectionError', 'ConnectTimeoutError')


def answer_lost(exc):
    """True when a request was sent and its connection broke before the answer (reset, closed, aborted)."""
    if ksa_exceptions is None or not isinstance(exc, ksa_exceptions.ConnectFailure) or not_sent(exc):
        return False
    cause = exc.__cause__ or exc.__context__
    return cause is not None and 'Connection aborted' in str(cause)


def _http_details(exc):
    details = dict(status_code=getattr(exc, 'status_code', None), request_id=getattr(exc, 'request_id', None),
                   url=getattr(exc, 'url', None))
    return dict((k, v) for k, v in details.items() if v is not None)


TLS_URL = re.compile(r'connecting to (https://[^/\s:]+(?::\d+)?)')
TLS_REASON = re.compile(r'certificate verify failed: ([^(\'"]+)')


def _tls_message(exc):
    """A TLS failure named plainly: which endpoint, why, and what to set."""
    text = str(exc)
    url = TLS_URL.search(text)
    reason = TLS_REASON.search(text)
    why = reason.group(1).strip() if reason else text
    if 'verify failed' in text or 'CERTIFICATE_VERIFY_FAILED' in text:
        return ('The TLS certificate of %s is not trusted (certificate verify failed: %s). Set ca_cert (or cacert in '
                'clouds.yaml) to the CA that signed it.' % (url.group(1) if url else 'the OpenStack endpoint', why))
    return 'TLS connection to %s failed: %s' % (url.group(1) if url else 'the OpenStack endpoint', text)


def _connection_message(exc):
    """The message of a keystoneauth connection failure (refused, lost, timed out), else None."""
    if isinstance(exc, RequestStalled):
        return exc.msg
    if isinstance(exc, ksa_exceptions.SSLError):
        return _tls_message(exc)
    if isinstance(exc, ksa_exceptions.ConnectFailure):
        if answer_lost(exc):
            return ('The connection to the OpenStack endpoint broke before the answer came (the service may have '
                    'carried out the request: run the task again to converge): %s' % exc)
        return 'Cannot connect to the OpenStack endpoint: %s' % exc
    if isinstance(exc, (ksa_exceptions.ConnectTimeout, ksa_exceptions.ConnectionError)):
        return 'Connection to the OpenStack endpoint failed: %s' % exc
    return None


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
        connection = _connection_message(exc)
        if connection:
            return connection, {}
        if isinstance(exc, ksa_exceptions.EndpointNotFound):
            return 'The service is not in the cloud catalog: %s' % exc, {}
        if isinstance(exc, ksa_exceptions.ClientException):
            return 'OpenStack client error: %s' % exc, {}
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.ConfigException):
        return 'Cloud configuration error: %s' % exc, {}
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.SDKException):
        return 'OpenStack error: %s' % exc, {}
    return '%s: %s' % (type(exc).__name__, exc), {}


def service_error(exc):
    """True when an HTTP error's body is the service's own fault (``{"error": {"type": <exception>, ...}}``, as Heat
    and Senlin answer, e.g. a 500 EResourceCreation): the request was processed and failed; its answer was not
    lost (a proxy's or the web server's 5xx has no such body)."""
    response = getattr(exc, 'response', None)
    try:
        body = response.json() if response is not None else None
    except Exception:  # noqa: BLE001 - no JSON body: not the service's own error
        return False
    error = body.get('error') if isinstance(body, dict) else None
    return isinstance(error, dict) and bool(error.get('type'))


def write_may_have_happened(exc):
    """True when a write may have reached the service although no good answer came back: the connection broke or
    timed out after sending, the answer stalled, or a 5xx came that is not the service's own error (a proxy's).
    A create in that state is looked up before anything is sent again."""
    if ksa_exceptions is not None and isinstance(exc, ksa_exceptions.ConnectionError):
        return True
    if isinstance(exc, RequestStalled):
        return True
    if sdk_exceptions is not None and isinstance(exc, sdk_exceptions.HttpException):
        return (status_code_of(exc) or 0) >= 500 and not service_error(exc)
    return False
