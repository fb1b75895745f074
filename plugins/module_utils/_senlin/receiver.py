# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin receivers (webhook or message): the plan (``plan_receiver``), its apply, URL redaction."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED, Plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import create_object
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import (
    Desired, diff_for_create, get_value, plan_delete)


def is_webhook(receiver):
    """True for a webhook receiver (its id is the secret part of its URL), also when the type is not known yet."""
    return get_value(receiver, 'type') in (None, 'webhook')


def redact_receiver(data, hide_url):
    """A receiver dict without its secrets when ``hide_url``: a webhook's trigger URL is
    ``.../v1/webhooks/<receiver id>/trigger?V=2``, so the id is the credential: both ``channel.alarm_url`` and
    ``id`` become ``********``. A message receiver's id is no credential (its queue needs a token) and stays."""
    if not hide_url or data is None:
        return data
    data = copy.deepcopy(data)
    channel = data.get('channel')
    if isinstance(channel, dict) and 'alarm_url' in channel:
        channel['alarm_url'] = REDACTED
    if is_webhook(data) and data.get('id'):
        data['id'] = REDACTED
    return data


def receiver_secrets(receiver):
    """The values that give away a webhook (its id and URL); [] for a message receiver or None."""
    if receiver is None or not is_webhook(receiver):
        return []
    return [value for value in (get_value(receiver, 'id'), receiver_url(receiver)) if value]


def receiver_url(receiver):
    channel = get_value(receiver, 'channel') or {}
    return channel.get('alarm_url') if isinstance(channel, dict) else None


class DesiredReceiver(Desired):
    """The receiver the user asked for (the receiver module's options)."""

    OPTIONS = ('name', 'type', 'cluster', 'action', 'params', 'hide_url', 'state')

    def __init__(self, **values):
        super(DesiredReceiver, self).__init__(**values)
        self.type = self.type or 'webhook'


class ReceiverPlan(Plan):
    """A receiver change: ``create`` (body), ``update`` (PATCH body) and/or ``delete`` (a replace deletes, then
    creates)."""

    def __init__(self):
        super(ReceiverPlan, self).__init__()
        self.create = None
        self.update = {}
        self.delete = False


def plan_receiver(current, desired, cluster=None):
    """Plan a receiver change. ``desired``: a DesiredReceiver; ``cluster``: the resolved target cluster dict (or
    None)."""
    plan = ReceiverPlan()
    if desired.state == 'absent':
        return plan_delete(plan, current)
    rtype = desired.type
    replace = current is not None and (
        current.get('type') != rtype or (cluster is not None and current.get('cluster_id') != cluster['id']))
    if current is None or replace:
        _plan_receiver_create(plan, current, desired, cluster, rtype)
        return plan
    if plan.diff.compare('action', desired.action, current.get('action')):
        plan.update['action'] = desired.action
    if plan.diff.compare('params', desired.params, current.get('params'), 'dict'):
        plan.update['params'] = desired.params
    plan.predicted = dict(current, **plan.update)
    return plan


def _plan_receiver_create(plan, current, desired, cluster, rtype):
    """Create (``current`` None) or replace (delete + create) a receiver."""
    if rtype == 'webhook' and (cluster is None or not desired.action):
        raise InvalidInput('A webhook receiver needs cluster and action.')
    body = dict(name=desired.name, type=rtype, params=desired.params or {})
    if cluster is not None:
        body['cluster_id'] = cluster['id']
    if desired.action:
        body['action'] = desired.action
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
    plan.diff.add('alarm_url', receiver_url(current), '(new URL)', secret=desired.hide_url)


def apply_receiver(client, current, plan):
    """Carry out ``plan`` (never in check mode). Returns the receiver afterwards (None when deleted)."""
    if plan.delete and current:
        client.request('DELETE', '/receivers/%s' % current['id'], retry_locked=False)
    if plan.create is not None:
        return create_object(client, 'receiver', plan.create)[0]
    if plan.update:
        return client.request('PATCH', '/receivers/%s' % current['id'], {'receiver': plan.update}).json()['receiver']
    return None
