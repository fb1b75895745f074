# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only queries of cluster_action_info and cluster_event_info: Senlin's actions and events, the lists
that grow with every change, paged (``listing.list_pages``) and cut by ``limit`` and ``since``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import ACTION_FAILURES
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.listing import PAGE_SIZE, check_sort, list_pages

EVENT_LEVELS = ('CRITICAL', 'ERROR', 'WARN', 'INFO', 'DEBUG')   # senlin/common/consts.py EVENT_LEVELS
NEWEST_FIRST = {'action': 'created_at:desc', 'event': 'timestamp:desc'}


def upper_list(values):
    return [str(v).upper() for v in values or []] or None


def resolve_target(client, target):
    """The id of the cluster or node ``target`` (an id is used as it is); None when no such cluster or node."""
    if looks_like_id(target):
        return target
    for kind in ('cluster', 'node'):
        found = client.find(kind, target)
        if found is not None:
            return found['id']
    return None


def list_actions(client, target=None, action=None, status=None, name=None, sort=None, limit=None):
    """Actions by target (a cluster or node, name or id), action type(s), status(es) and name, newest first unless
    ``sort``; at most ``limit``. A failed (or cancelled) action gets ``reasons``: its status_reason, then each
    failed child action named in ``depends_on`` (``NAME on <target>: reason``)."""
    target_id = None
    if target:
        target_id = resolve_target(client, target)
        if target_id is None:
            return []
    query = dict(target=target_id, action=upper_list(action), status=upper_list(status), name=name,
                 sort=check_sort('action', sort or NEWEST_FIRST['action']))
    actions = list_pages(client.get_json, '/actions', 'actions', query, page_size=PAGE_SIZE, limit=limit)
    for item in actions:
        if item.get('status') in ACTION_FAILURES:
            item['reasons'] = [item.get('status_reason') or 'no reason given'] + client._failed_children(item)
    return actions


def parse_time(value, option='since'):
    """A timezone-aware datetime of an ISO 8601 time (``2026-12-01T10:00:00Z``, ``...+02:00``, or without a zone:
    UTC, as Senlin's timestamps are)."""
    text = str(value).strip().replace(' ', 'T', 1)
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("%s '%s' is not an ISO 8601 time, for example 2026-12-01T10:00:00Z." % (option, value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def list_events(client, cluster=None, node=None, level=None, action=None, since=None, sort=None, limit=None):
    """Events of a cluster (name or id, its own and its nodes': Senlin resolves it) and/or of a node (an id, else
    a name), of level(s) and action type(s), newest first unless ``sort``, at or after ``since`` (filtered here on
    ``timestamp``; sorted newest first, the paging stops at the first older event); at most ``limit``."""
    levels = upper_list(level)
    if levels and not set(levels) <= set(EVENT_LEVELS):
        raise InvalidInput('level must be among %s, got %s.' % (', '.join(EVENT_LEVELS), ', '.join(levels)))
    sort = check_sort('event', sort or NEWEST_FIRST['event'])
    query = dict(cluster_id=cluster, level=levels, action=upper_list(action), sort=sort)
    if node:
        query['oid' if looks_like_id(node) else 'oname'] = node
    keep = stop = None
    if since:
        start = parse_time(since)

        def keep(event):
            return parse_time(event.get('timestamp'), 'timestamp') >= start

        if sort.split(',')[0].strip() == NEWEST_FIRST['event']:
            def stop(event):
                return not keep(event)
    return list_pages(client.get_json, '/events', 'events', query, page_size=PAGE_SIZE, limit=limit, keep=keep,
                      stop=stop)
