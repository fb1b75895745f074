# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin receivers (webhook or message): the plan (``plan_receiver``), its apply, URL redaction."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED, Difference
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import diff_for_create, diff_for_delete, get_value


def redact_receiver(data, hide_url):
    """A receiver dict with its trigger URL redacted when ``hide_url``."""
    if not hide_url or data is None:
        return data
    data = copy.deepcopy(data)
    channel = data.get('channel')
    if isinstance(channel, dict) and 'alarm_url' in channel:
        channel['alarm_url'] = REDACTED
    return data


def receiver_url(receiver):
    channel = get_value(receiver, 'channel') or {}
    return channel.get('alarm_url') if isinstance(channel, dict) else None


class ReceiverPlan(object):
    def __init__(self):
        self.diff = Difference()
        self.create = None
        self.update = {}
        self.delete = False
        self.predicted = None

    @property
    def changed(self):
        return self.diff.changed


def plan_receiver(current, params, cluster=None):
    """Plan a receiver change. ``cluster`` is the resolved target cluster dict (or None)."""
    plan = ReceiverPlan()
    if params.get('state') == 'absent':
        if current:
            plan.delete = True
            plan.diff.merge(diff_for_delete(current))
        return plan
    rtype = params.get('type') or 'webhook'
    replace = current is not None and (
        current.get('type') != rtype or (cluster is not None and current.get('cluster_id') != cluster['id']))
    if current is None or replace:
        _plan_receiver_create(plan, current, params, cluster, rtype)
        return plan
    if plan.diff.compare('action', params.get('action'), current.get('action')):
        plan.update['action'] = params['action']
    if plan.diff.compare('params', params.get('params'), current.get('params'), 'dict'):
        plan.update['params'] = params['params']
    plan.predicted = dict(current, **plan.update)
    return plan


def _plan_receiver_create(plan, current, params, cluster, rtype):
    """Create (``current`` None) or replace (delete + create) a receiver."""
    if rtype == 'webhook' and (cluster is None or not params.get('action')):
        raise InvalidInput('A webhook receiver needs cluster and action.')
    body = dict(name=params['name'], type=rtype, params=params.get('params') or {})
    if cluster is not None:
        body['cluster_id'] = cluster['id']
    if params.get('action'):
        body['action'] = params['action']
    plan.create = body
    plan.predicted = dict(body, channel={})
    if current is None:
        shown = dict(body)
        if cluster is not None:
            shown['cluster'] = cluster.get('name')
        plan.diff.merge(diff_for_create(shown))
        return
    plan.delete = True
    for key in ('type', 'cluster_id', 'action', 'params'):
        if key in body:
            plan.diff.compare(key, body[key], current.get(key), 'dict' if key == 'params' else 'value')
    plan.diff.add('alarm_url', receiver_url(current), '(new URL)', secret=params.get('hide_url'))


def apply_receiver(client, current, plan):
    if plan.delete and current:
        client.request('DELETE', '/receivers/%s' % current['id'], retry_locked=False)
    if plan.create is not None:
        return client.request('POST', '/receivers', {'receiver': plan.create}).json()['receiver']
    if plan.update:
        return client.request('PATCH', '/receivers/%s' % current['id'], {'receiver': plan.update}).json()['receiver']
    return None
