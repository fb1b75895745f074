# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Heat REST layer: ``HeatApi``, through the openstacksdk orchestration proxy. Answers are plain dicts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None


def sdk_error_text(exc):
    return getattr(exc, 'message', None) or str(exc)


class HeatApi(object):
    """The Heat REST calls, through the openstacksdk orchestration proxy. Answers are plain dicts."""

    def __init__(self, conn):
        self.conn = conn

    @property
    def proxy(self):
        return self.conn.orchestration

    def _call(self, method, url, **kwargs):
        response = getattr(self.proxy, method)(url, **kwargs)
        sdk_exceptions.raise_from_response(response)
        return response

    def _json(self, response):
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()

    def _get_or_none(self, url, key):
        """GET one resource: the answer's ``key``, None when it does not exist."""
        try:
            return self._json(self._call('get', url))[key]
        except sdk_exceptions.NotFoundException:
            return None

    def _delete(self, url):
        """DELETE, a resource already gone being fine."""
        try:
            self._call('delete', url)
        except sdk_exceptions.NotFoundException:
            pass

    def _paged(self, url, key, query=None, page_size=100):
        """GET a list with ``query``, following marker pagination until a short page."""
        result, marker = [], None
        while True:
            params = dict(query or {}, limit=page_size)
            if marker:
                params['marker'] = marker
            page = self._json(self._call('get', url, params=params)).get(key, [])
            result.extend(page)
            if len(page) < page_size:
                return result
            marker = page[-1]['id']

    # stacks
    def _stack_at(self, url, resolve_outputs, include_deleted):
        """GET one stack; None when missing, or deleted (DELETE_COMPLETE) unless ``include_deleted``."""
        if not resolve_outputs:
            url += '?resolve_outputs=False'
        stack = self._get_or_none(url, 'stack')
        if stack is None:
            return None
        if stack.get('stack_status') == 'DELETE_COMPLETE' and not include_deleted:
            return None
        return stack

    def find_stack(self, name_or_id, resolve_outputs=True, include_deleted=False):
        """GET /stacks/<name or id> (Heat redirects to the canonical URL); None when missing or deleted."""
        return self._stack_at('/stacks/%s' % name_or_id, resolve_outputs, include_deleted)

    def stack_gone(self, stack):
        """None once a deleted stack no longer holds its name, else the stack as Heat shows it.

        Heat shows a deleted stack by id forever (DELETE_COMPLETE), and sets DELETE_COMPLETE a moment before
        it frees the name (a create with the name answers 409 until then): wait for the name lookup.
        """
        current = self.get_stack(stack, resolve_outputs=False, include_deleted=True)
        if current is None:
            return None
        if current.get('stack_status') == 'DELETE_COMPLETE':
            by_name = self.find_stack(stack['stack_name'], resolve_outputs=False, include_deleted=True)
            if by_name is None or by_name.get('id') != stack['id']:
                return None
        return current

    def get_stack(self, stack, resolve_outputs=True, include_deleted=False):
        """The stack, None when it is gone. A stack Heat shows DELETE_COMPLETE is gone, except with
        ``include_deleted``: its name stays taken (409 on create) until Heat stops showing it."""
        return self._stack_at('/stacks/%s/%s' % (stack['stack_name'], stack['id']), resolve_outputs, include_deleted)

    def _sub(self, stack, what, **kwargs):
        return self._json(self._call('get', '/stacks/%s/%s/%s' % (stack['stack_name'], stack['id'], what), **kwargs))

    def get_template(self, stack):
        return self._sub(stack, 'template')

    def get_environment(self, stack):
        return self._sub(stack, 'environment')

    def get_files(self, stack):
        return self._sub(stack, 'files')

    def create_stack(self, body):
        return self._json(self._call('post', '/stacks', json=body))['stack']

    def preview_create(self, body):
        return self._json(self._call('post', '/stacks/preview', json=body))

    def update_stack(self, stack, body):
        self._call('put', '/stacks/%s/%s' % (stack['stack_name'], stack['id']), json=body)

    def preview_update(self, stack, body):
        return self._json(self._call('put', '/stacks/%s/%s/preview' % (stack['stack_name'], stack['id']), json=body))

    def delete_stack(self, stack):
        self._delete('/stacks/%s/%s' % (stack['stack_name'], stack['id']))

    def stack_action(self, stack, action):
        self._call('post', '/stacks/%s/%s/actions' % (stack['stack_name'], stack['id']), json={action: None})

    def resources(self, stack, nested_depth=0):
        query = '?nested_depth=%d' % nested_depth if nested_depth else ''
        return self._sub(stack, 'resources' + query).get('resources', [])

    def events(self, stack, query=''):
        return self._sub(stack, 'events' + query).get('events', [])

    def stack_snapshots(self, stack):
        """The stack's snapshots (GET /stacks/<name>/<id>/snapshots), as Heat lists them (read by stack_info)."""
        return self._sub(stack, 'snapshots').get('snapshots', [])

    def list_stacks(self, query=None, page_size=100):
        """GET /stacks with ``query``, following marker pagination."""
        return self._paged('/stacks', 'stacks', query, page_size)

    # software configs and deployments
    def list_configs(self, page_size=100):
        return self._paged('/software_configs', 'software_configs', page_size=page_size)

    def get_config(self, config_id):
        return self._get_or_none('/software_configs/%s' % config_id, 'software_config')

    def create_config(self, body):
        return self._json(self._call('post', '/software_configs', json=body))['software_config']

    def delete_config(self, config_id):
        self._delete('/software_configs/%s' % config_id)

    def list_deployments(self, server_id=None):
        params = dict(server_id=server_id) if server_id else {}
        return self._json(self._call('get', '/software_deployments', params=params)).get('software_deployments', [])

    def get_deployment(self, deployment_id):
        return self._get_or_none('/software_deployments/%s' % deployment_id, 'software_deployment')

    def create_deployment(self, body):
        return self._json(self._call('post', '/software_deployments', json=body))['software_deployment']

    def update_deployment(self, deployment_id, body):
        return self._json(self._call('put', '/software_deployments/%s' % deployment_id,
                                     json=body))['software_deployment']

    def delete_deployment(self, deployment_id):
        self._delete('/software_deployments/%s' % deployment_id)

    # template validation
    def validate_template(self, body, ignore_errors=None, show_nested=False):
        """POST /validate: Heat's description, parameters and parameter groups of a template (no stack, no write).

        Heat answers 400 for an invalid template, and 200 with a bare string for an unknown ``ignore_errors`` code
        (the caller checks the answer is a dict)."""
        params = {}
        if ignore_errors:
            params['ignore_errors'] = ','.join(ignore_errors)
        if show_nested:
            params['show_nested'] = 'true'
        return self._json(self._call('post', '/validate', json=body, params=params))

    # stack snapshots (listed by stack_snapshots above); an answer's ``data`` holds the stack's parameters
    # unmasked (hidden ones too): callers never return it
    def _snapshots_url(self, stack, snapshot_id=None):
        url = '/stacks/%s/%s/snapshots' % (stack['stack_name'], stack['id'])
        return url if snapshot_id is None else '%s/%s' % (url, snapshot_id)

    def create_snapshot(self, stack, name):
        """POST .../snapshots: the new snapshot (IN_PROGRESS until Heat has taken it)."""
        return self._json(self._call('post', self._snapshots_url(stack), json={'name': name}))

    def get_snapshot(self, stack, snapshot_id):
        return self._get_or_none(self._snapshots_url(stack, snapshot_id), 'snapshot')

    def delete_snapshot(self, stack, snapshot_id):
        self._delete(self._snapshots_url(stack, snapshot_id))

    def restore_snapshot(self, stack, snapshot_id):
        """POST .../snapshots/<id>/restore: Heat answers once the stack is RESTORE_IN_PROGRESS."""
        self._call('post', self._snapshots_url(stack, snapshot_id) + '/restore')
