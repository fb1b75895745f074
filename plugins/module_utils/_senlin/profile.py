# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin profiles: spec checks, creating and deleting profiles (also those the cluster module makes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import is_equal

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


def create_profile(client, name, spec, metadata=None):
    body = dict(name=name, spec=spec)
    if metadata is not None:
        body['metadata'] = metadata
    return client.request('POST', '/profiles', {'profile': body}).json()['profile']


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
