# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin profiles: the cluster_profile module's ``DesiredProfile``/``plan_profile``/``apply_profile``, spec checks,
and creating and deleting profiles (also those the cluster module makes from a ``profile_spec``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan, is_equal
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import create_object
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import (
    Desired, SpecView, diff_for_create, merge_spec_secrets, plan_delete, spec_equal, spec_type)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.specfile import validate_spec

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

MANAGED_KEY = 'cloudrise_managed_by'


def heat_parameter_only_change(old_spec, new_spec):
    """True when an os.heat.stack spec change leaves the template alone but changes other properties.

    Senlin 16 applies such a change to existing nodes with a PUT that lacks the template, and Heat answers
    400 "No template specified" (nodes go ERROR).
    """
    if not old_spec or not new_spec or not str(new_spec.get('type', '')).startswith('os.heat.stack'):
        return False
    old_props, new_props = old_spec.get('properties') or {}, new_spec.get('properties') or {}
    if not is_equal(new_props.get('template'), old_props.get('template'), 'dict'):
        return False
    return not is_equal(new_props, old_props, 'dict')


def profile_users(client, profile_id):
    """Names/ids of clusters and nodes that use a profile (what blocks deleting it)."""
    users = ['cluster %s' % c['name'] for c in client.list('cluster') if c.get('profile_id') == profile_id]
    users += ['node %s' % n['name'] for n in client.list('node') if n.get('profile_id') == profile_id]
    return users


def delete_profile_if_unused(client, profile_id, warn=None):
    """Delete a profile; when Senlin says it is still in use (409), leave it and warn. True when deleted."""
    try:
        client.request('DELETE', '/profiles/%s' % profile_id, retry_locked=False)
        return True
    except sdk_exceptions.ConflictException as exc:
        if warn:
            warn('Profile %s was kept: %s' % (profile_id, getattr(exc, 'details', None) or exc))
        return False
    except sdk_exceptions.NotFoundException:
        return False


def create_profile(client, name, spec, metadata=None, settle=True):
    body = dict(name=name, spec=spec)
    if metadata is not None:
        body['metadata'] = metadata
    return create_object(client, 'profile', body, settle=settle)[0]


def managed_profile(name, spec):
    return (name, spec, {MANAGED_KEY: 'cloudrise.openstack.cluster'})


def is_managed(profile):
    return bool(((profile or {}).get('metadata') or {}).get(MANAGED_KEY))


def delete_managed_profiles(client, profile_ids, profile_name=None, warn=None):
    """Delete the module-made profiles among ``profile_ids`` and those named ``profile_name``, when unused."""
    candidates = {}
    for pid in profile_ids:
        profile = client.get('profile', pid) if pid else None
        if profile:
            candidates[profile['id']] = profile
    if profile_name:
        for profile in client.list('profile', name=profile_name):
            candidates.setdefault(profile['id'], profile)
    for pid, profile in sorted(candidates.items()):
        if (profile.get('metadata') or {}).get(MANAGED_KEY):
            delete_profile_if_unused(client, pid, warn)


# -- the cluster_profile module ------------------------------------------------------------------------

class DesiredProfile(Desired):
    """The profile the user asked for (the cluster_profile module's options)."""

    OPTIONS = ('name', 'spec', 'spec_file', 'metadata', 'state', 'secret_properties', 'secret_parameters',
               'diff_secrets')
    SECRETS = ('spec', 'secret_properties', 'secret_parameters')

    def __init__(self, **values):
        super(DesiredProfile, self).__init__(**values)
        self.spec = merge_spec_secrets(self.spec, self.secret_properties, self.secret_parameters)
        self.view = SpecView(full=self.diff_secrets)

    def differs(self, current):
        """True when the profile must be created, or replaced (Senlin cannot change a spec)."""
        return current is None or not spec_equal(self.spec, current.get('spec'))


class ProfilePlan(Plan):
    """A profile change: ``delete`` the current one, ``create`` (body) a new one, or ``update`` (PATCH body)."""

    def __init__(self):
        super(ProfilePlan, self).__init__()
        self.delete = False
        self.create = None
        self.update = {}


def read_profile(client, desired):
    """The current profile and its users (when it must be replaced), with Senlin's validation of a new spec:
    every check made before any write. Returns ``(profile or None, [user])``."""
    current = client.find('profile', desired.name)
    users = []
    if desired.state == 'present' and desired.differs(current):
        if desired.spec is None:
            raise InvalidInput("Profile '%s' does not exist; spec is needed to create it (option spec or spec_file)." % desired.name)
        validate_spec(client, 'profile', desired.spec, desired.spec_file)
        if current is not None:
            users = profile_users(client, current['id'])
    return current, users


def plan_profile(current, desired, users=()):
    """Plan a profile change: create, replace (delete + create, only when unused), update metadata, delete."""
    plan = ProfilePlan()
    if desired.state == 'absent':
        return plan_delete(plan, current)
    if desired.differs(current):
        if current is not None:
            if users:
                raise InvalidInput("Profile '%s' has a different spec, and Senlin cannot change a spec; it cannot be "
                                   "replaced while in use by: %s." % (current['name'], ', '.join(users)), users=users)
            plan.delete = True
            plan.diff.add('spec', desired.view.show(current.get('spec')), desired.view.show(desired.spec))
        else:
            plan.diff.merge(diff_for_create(dict(name=desired.name, spec=desired.view.show(desired.spec),
                                                 metadata=desired.metadata)))
        plan.create = dict(name=desired.name, spec=desired.spec, metadata=desired.metadata)
        plan.predicted = dict(name=desired.name, spec=desired.spec, metadata=desired.metadata or {},
                              type=spec_type(desired.spec))
        return plan
    if plan.diff.compare('metadata', desired.metadata, current.get('metadata'), 'dict'):
        plan.update['metadata'] = desired.metadata
    plan.predicted = dict(current, **plan.update)
    return plan


def apply_profile(client, current, plan):
    """Carry out ``plan`` (never in check mode). Returns the profile afterwards (None when deleted)."""
    if plan.delete and current:
        client.request('DELETE', '/profiles/%s' % current['id'], retry_locked=False)
    if plan.create is not None:
        return create_profile(client, **plan.create)
    if plan.update:
        return client.request('PATCH', '/profiles/%s' % current['id'], {'profile': plan.update}).json()['profile']
    return None if plan.delete else current
