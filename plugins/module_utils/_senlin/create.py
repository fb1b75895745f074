# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creating Senlin objects without duplicates, and cleaning up the duplicates an interrupted create left behind.

Senlin does not enforce unique names. A create whose answer is lost (a connection reset, a read timeout, a 5xx
from a proxy) may still have made the object; sending it again would make a second one, and every later run
would fail on the ambiguous name. So:

- **A token per create.** Objects that have metadata (clusters, nodes, profiles) get a random token under
  ``cloudrise_create_token`` before the POST. ``SenlinClient`` takes it out of every object it reads (no
  comparison or result sees it) and keeps it in ``client.markers``.
- **A lost answer is looked up, not resent blindly** (``create_object``): the object with this name (a node: in
  its cluster) and our token is the one the lost request made, and is used (with its create action, to wait on).
  Only when none exists is the POST sent again (once, same token). Policies and receivers have no metadata:
  a same-named object with the same content (the caller planned a create because none existed) is ours; when
  none exists the task fails with a clear message and is never resent, so that no duplicate can appear.
- **A re-run converges** (``split_duplicates``, from ``SenlinClient.find``): when a name matches several objects,
  the oldest (``init_at``/``created_at``, then id) is kept, and the others are orphans of an interrupted create
  when each carries a create token of this collection and nothing uses it (a profile: no cluster or node; a
  cluster: no policy and no receiver). The module then deletes them (``remove_orphans``; in check mode it only
  reports them). Anything else is still an ``Ambiguous`` error: objects made by hand are never deleted.
- **Two runs at once** (``settle_twins``): both found nothing and both created. Right after its create each run
  lists the same-named twins (made by this collection for the same request); the oldest is the one object, a
  run whose object is newer deletes its own and adopts the oldest (waiting for it), and the run with the oldest
  takes a last look ``SETTLE_SECONDS`` after its create, as Senlin's times have seconds only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import is_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    ResourceFailed, write_may_have_happened as is_lost)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import get_value, spec_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import wait_for

MARKER_KEY = 'cloudrise_create_token'
MARKED_KINDS = ('cluster', 'node', 'profile')
PATHS = {'cluster': ('/clusters', 'cluster'), 'node': ('/nodes', 'node'), 'profile': ('/profiles', 'profile'),
         'policy': ('/policies', 'policy'), 'receiver': ('/receivers', 'receiver')}
BUSY = ('INIT', 'CREATING')
# Senlin stores times to the second: a twin made in the same second as ours may be stored after our first look.
# The last look for twins is taken at least this long after our create answered (see settle_twins).
SETTLE_SECONDS = 2.0


def new_token():
    return uuid.uuid4().hex


def age(obj):
    """Sort key, oldest first: Senlin's ``init_at`` (set when the object is stored) or ``created_at``, then id."""
    return (get_value(obj, 'init_at') or get_value(obj, 'created_at') or '', get_value(obj, 'id') or '')


def same_content(kind, found, body):
    """A policy or receiver (no metadata, no token) as the create ``body`` asked for."""
    if kind == 'policy':
        return spec_equal(body.get('spec'), found.get('spec'))
    return (found.get('type') == body.get('type') and found.get('cluster_id') == body.get('cluster_id')
            and found.get('action') == body.get('action')
            and is_equal(body.get('params') or {}, found.get('params') or {}, 'dict'))


def find_created(client, kind, body, token):
    """The object a create with ``body`` (and ``token``) made, oldest first when there are several; or None."""
    if token and kind == 'node' and body.get('cluster_id'):
        found = client.list('node', cluster_id=body['cluster_id'])   # Senlin renames a node made in a cluster
    else:
        found = [o for o in client.list(kind, name=body['name']) if o.get('name') == body['name']]
    if token:
        found = [o for o in found if client.markers.get(o.get('id')) == token]
    else:
        found = [o for o in found if same_content(kind, o, body)]
    return sorted(found, key=age)[0] if found else None


def create_object(client, kind, body, what=None, settle=True):
    """POST a new ``kind`` object from ``body``; ``what``: the name of the action it starts (clusters, nodes),
    recorded in ``client.actions`` and not waited on here. Returns ``(object, action record or None)``.

    A lost answer is looked up (``find_created``) before anything is sent again; see the module docstring.
    Then a concurrent twin is looked for (``settle_twins``; ``settle`` false: only the first look, the caller
    takes the last one later, e.g. after waiting on the create; None: no look)."""
    obj, record = _create_object(client, kind, body, what)
    if settle is None:
        return obj, record
    return settle_twins(client, kind, obj, body, record, what, final=settle)


def _create_object(client, kind, body, what=None):
    path, one = PATHS[kind]
    token = new_token() if kind in MARKED_KINDS else None
    if token:
        body = dict(body, metadata=dict(body.get('metadata') or {}, **{MARKER_KEY: token}))
    attempts = 2 if token else 1
    for _attempt in range(attempts):
        try:
            if what:
                data, record = client.start('POST', path, {one: body}, what)
            else:
                data, record = client.request('POST', path, {one: body}).json(), None
            obj = client.unmark(kind, data[one])
            if record is not None:
                record['target'] = obj.get('id')
            return obj, record
        except Exception as exc:  # noqa: BLE001 - only a lost answer is handled; anything else is raised as is
            if not is_lost(exc):
                raise
            lost = exc
        found = find_created(client, kind, body, token)
        if found is not None:
            return found, adopt_action(client, kind, found, what)
        if client.deadline.expired:
            break
    raise ResourceFailed("Creating %s '%s' got no answer (%s), and Senlin has no %s of that name made by this "
                         "task: nothing was created%s. Run the task again."
                         % (kind, body.get('name'), describe(lost), kind,
                            ' (the request was sent %d times)' % attempts if attempts > 1 else ''),
                         status_code=getattr(lost, 'status_code', None))


# -- two runs at once ------------------------------------------------------------------------------------

def is_twin(client, kind, found, body):
    """True when ``found`` (same name) is what a concurrent run of this collection made for the same request:
    a cluster or node with a create token of this collection; a profile with a token and the same spec; a
    policy or receiver (no metadata) with the same content."""
    if kind in MARKED_KINDS and not client.markers.get(found.get('id')):
        return False
    if kind in MARKED_KINDS and kind != 'profile':
        return True
    return same_content(kind, found, body)


def settle_twins(client, kind, obj, body, record=None, what=None, final=True):
    """After creating ``obj`` (this run's), make sure two runs at once keep one object: Senlin does not enforce
    unique names, so two runs that both found nothing both create. Every run lists the same-named twins
    (``is_twin``) and the oldest (``age``: Senlin's time, then id) is the one object: a run whose object is not
    the oldest deletes its own (after its create action ended: Senlin refuses to delete a creating cluster) and
    adopts the oldest (with its create action, so that the caller waits for it to be ACTIVE). A run whose object
    is the oldest keeps it; the last look is taken ``SETTLE_SECONDS`` after the create (Senlin's times have
    seconds only, so a twin of the same second is seen by then). ``final`` false: only a first look, without
    waiting (the caller calls again with ``final`` once its create action ended).

    Returns ``(object, action record or None)``; ``client.twins`` records the deleted ones."""
    clock = client.deadline.clock
    started = client.twin_clock.setdefault(obj.get('id'), clock())
    name = body.get('name') or obj.get('name')
    while True:
        listed = [o for o in client.list(kind, name=name) if o.get('name') == name] if name else []
        mine = next((o for o in listed if o.get('id') == obj.get('id')), obj)
        older = sorted((o for o in listed if o.get('id') != obj.get('id') and age(o) < age(mine)
                        and is_twin(client, kind, o, body)), key=age)
        if older:
            keeper = older[0]
            discard_own(client, kind, mine, record, what)
            client.adopted.add(keeper.get('id'))
            return keeper, adopt_action(client, kind, keeper, what)
        left = SETTLE_SECONDS - (clock() - started)
        if not final or left <= 0 or client.deadline.expired:
            return obj, record
        client.deadline.sleep(min(left, client.deadline.remaining()))


def discard_own(client, kind, obj, record, what):
    """Delete this run's object that a concurrent run's older twin replaces; recorded in ``client.twins``."""
    if record is not None:
        if record in client.actions:
            client.actions.remove(record)
        if record.get('status') is None:   # a cluster or node that is still being created cannot be deleted
            try:
                client.wait_action(record['id'], what)
            except ResourceFailed:
                pass
    path = '%s/%s' % (PATHS[kind][0], obj['id'])
    if kind in ('cluster', 'node'):
        _data, delete = client.start('DELETE', path, None, '%s_DELETE' % kind.upper(), obj['id'])
        if delete is not None:
            client.actions.remove(delete)
            client.wait_action(delete['id'], delete['name'])
    else:
        client.request('DELETE', path, retry_locked=False)
    client.twins.append((kind, obj))


def report_twins(client, warn=None):
    """Tell the user about the objects of this run that ``settle_twins`` deleted (a warning each)."""
    twins, client.twins = client.twins, []
    for kind, obj in twins:
        if warn:   # a receiver's id is the secret part of its webhook URL: never named
            warn("Another run created %s '%s' at the same time: this run deleted its own%s and uses the older "
                 "one." % (kind, obj.get('name'), '' if kind == 'receiver' else ' (%s)' % obj['id']))


def describe(exc):
    status = getattr(exc, 'status_code', None)
    return '%s %s' % (status, type(exc).__name__) if status else type(exc).__name__


def adopt_action(client, kind, obj, what):
    """The create action of an object whose create answer was lost: recorded in ``client.actions`` as if the
    POST had answered. Without an action to find, the object's status is waited on (when waiting)."""
    if not what:
        return None
    actions = client.get_json('/actions?target=%s&action=%s' % (obj['id'], what)).get('actions') or []
    actions = [a for a in actions if a.get('target') in (None, obj['id']) and a.get('action') in (None, what)]
    if actions:
        action = sorted(actions, key=lambda a: a.get('created_at') or '')[-1]
        record = dict(id=action['id'], name=what, target=obj['id'], status=None)
        client.actions.append(record)
        return record
    if client.wait and obj.get('status') in BUSY:
        wait_for(lambda: client.get(kind, obj['id']), lambda o: o is None or o.get('status') not in BUSY,
                 lambda o: o.get('status_reason') if o and o.get('status') == 'ERROR' else None,
                 deadline=client.deadline, what='%s %s' % (what, obj['id']),
                 describe=lambda o: (o or {}).get('status'))
    return None


# -- duplicates left behind -------------------------------------------------------------------------------

def in_use(client, kind, obj):
    """True when something refers to ``obj`` (then it is never deleted as an orphan)."""
    if kind == 'profile':
        return any(o.get('profile_id') == obj['id'] for o in client.list('cluster') + client.list('node'))
    if kind == 'cluster':
        policies = client.get_json('/clusters/%s/policies' % obj['id']).get('cluster_policies')
        receivers = [r for r in client.list('receiver', cluster_id=obj['id']) if r.get('cluster_id') == obj['id']]
        return bool(policies or receivers)
    return False


def split_duplicates(client, kind, matches):
    """``(keeper, [orphan])`` for objects of one name: the oldest is kept; the others must each carry a create
    token of this collection and be unused. ``(None, None)`` when that is not so (the name is ambiguous)."""
    if kind not in MARKED_KINDS:
        return None, None
    ordered = sorted(matches, key=age)
    rest = ordered[1:]
    if any(not client.markers.get(o.get('id')) for o in rest):
        return None, None
    if any(in_use(client, kind, o) for o in rest):
        return None, None
    return ordered[0], rest


def remove_orphans(client, diff, check_mode, warn=None):
    """Delete the orphans ``client.find`` recorded (in check mode, only report them): ``diff`` gets
    ``duplicates_removed`` (their ids), so the task reports ``changed``."""
    if not client.orphans:
        return
    orphans, client.orphans = client.orphans, []
    diff.add('duplicates_removed', [], ['%s %s' % (kind, obj['id']) for kind, obj in orphans])
    if check_mode:
        return
    for kind, obj in orphans:
        path = '%s/%s' % (PATHS[kind][0], obj['id'])
        if kind in ('cluster', 'node'):
            client.write('DELETE', path, None, '%s_DELETE' % kind.upper(), obj['id'])
        else:
            client.request('DELETE', path, retry_locked=False)
        if warn:
            warn("Deleted %s %s, a duplicate of '%s' left by an interrupted create of this collection."
                 % (kind, obj['id'], obj.get('name')))
