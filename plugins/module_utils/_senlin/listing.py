# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin list queries: the pager, the query string, and the filters the info modules share.

Senlin (16, read in ``senlin/db/sqlalchemy/api.py``) has no default page size and no ``max_limit``: a list
without ``limit`` returns every object in one answer, and its answers carry no ``links``. With ``limit`` it
returns at most that many, after ``marker`` (an id) in the ``sort`` order: the pager follows the last id until
a short page. It also stops on an answer that shows the server ignored ``limit`` (a longer page) or ``marker``
(a page seen before), instead of looping or returning duplicates."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import quote_value

# The page size of the lists that may be long (actions, events) and that a ``limit`` or ``since`` ends early.
PAGE_SIZE = 100

# kind -> the keys Senlin sorts by (senlin/common/consts.py *_SORT_KEYS)
SORT_KEYS = {
    'cluster': ('name', 'status', 'init_at', 'created_at', 'updated_at'),
    'node': ('index', 'name', 'status', 'init_at', 'created_at', 'updated_at'),
    'profile': ('type', 'name', 'created_at', 'updated_at'),
    'policy': ('type', 'name', 'created_at', 'updated_at'),
    'receiver': ('name', 'type', 'action', 'cluster_id', 'created_at', 'user'),
    'action': ('name', 'target', 'action', 'created_at', 'status'),
    'event': ('timestamp', 'level', 'otype', 'oname', 'action', 'status', 'oid', 'cluster_id'),
}


def query_string(params):
    """``?k=v&...`` of the set parameters, sorted by key; a list repeats its key (Senlin's "mixed" filters)."""
    pairs = []
    for key in sorted(params):
        value = params[key]
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            if item is not None:
                pairs.append('%s=%s' % (key, quote_value(item)))
    return '?' + '&'.join(pairs) if pairs else ''


def list_pages(get_json, path, key, query=None, page_size=None, limit=None, keep=None, stop=None):
    """Every object of a Senlin list, following ``marker`` page after page when ``page_size`` is given.

    ``get_json(url)`` sends one GET. ``limit``: return at most this many. ``keep(item)``: a client-side filter.
    ``stop(item)``: true for the first item that ends the list (itself not returned), for a list sorted so that
    nothing after it can match (events sorted by time, newest first, and ``since``)."""
    if limit is not None and limit < 1:
        raise InvalidInput('limit must be 1 or more, got %s.' % limit)
    query = dict((k, v) for k, v in (query or {}).items() if v is not None and v != [])
    items = []
    seen = set()   # ids of the items read: a page that starts with one of them came before
    marker = None
    while True:
        params = dict(query)
        if page_size:
            params['limit'] = page_size
        if marker:
            params['marker'] = marker
        page = get_json(path + query_string(params)).get(key) or []
        if marker and page and page[0].get('id') in seen:
            return items   # a server that ignored marker: this page came before
        for item in page:
            if stop is not None and stop(item):
                return items
            seen.add(item.get('id'))
            if keep is None or keep(item):
                items.append(item)
                if limit and len(items) >= limit:
                    return items
        if not page_size or len(page) != int(page_size):
            return items   # a short page is the last; a longer one: the server ignored limit and sent everything
        marker = page[-1].get('id')
        if not marker:
            return items


def check_sort(kind, sort):
    """``sort`` (Senlin's ``key[:asc|desc],...``) checked against the keys Senlin sorts ``kind`` by, before any
    request. Returns ``sort``."""
    if not sort:
        return sort
    for part in sort.split(','):
        name, _sep, direction = part.strip().partition(':')
        if name not in SORT_KEYS[kind] or direction not in ('', 'asc', 'desc'):
            raise InvalidInput("sort '%s': Senlin sorts %s lists by %s, each optionally followed by :asc or :desc."
                               % (sort, kind, ', '.join(SORT_KEYS[kind])))
    return sort


def find_all(client, kind, name=None, sort=None, **filters):
    """Objects of ``kind`` by name or id (``name``) and Senlin's own filters, in Senlin's ``sort`` order.

    A ``name`` shaped like an id is read by id first (and, when no such object, matched as a name); a name that
    matches nothing gives []. Filters with the value None are not sent."""
    if name and looks_like_id(name):
        found = client.get(kind, name)
        if found is not None:
            return [found] if all(_matches(found, k, v) for k, v in filters.items()) else []
    items = client.list(kind, name=name or None, sort=check_sort(kind, sort), **filters)
    return [item for item in items if not name or item.get('name') == name or item.get('id') == name]


def _matches(item, key, value):
    if value is None or value == []:
        return True
    wanted = value if isinstance(value, (list, tuple)) else [value]
    return item.get(key) in wanted
