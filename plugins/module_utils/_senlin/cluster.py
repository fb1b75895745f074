# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin clusters: sizes, ``DesiredCluster``, the lookups before any write, the plan (``plan_cluster``), its apply
(``apply_cluster``, with a failed create/resize kept for the repair), the node repair and check/recover afterwards
(``converge_cluster``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import CloudModuleError, InvalidInput, ResourceFailed
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import in_parallel
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import (
    Desired, SpecView, diff_for_create, merge_spec_secrets, plan_delete, spec_equal)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import create_object, settle_twins
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.health import (
    HealthReport, converge_health, is_heat_profile)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.profile import (
    create_profile, delete_managed_profiles, delete_profile_if_unused, heat_parameter_only_change, is_managed,
    managed_profile)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster_ops import (
    EXACT_CAPACITY, RELATIVE, apply_replace, check_adjustment, check_deletable, plan_cluster_ops, relative_capacity,
    relative_resize_body, run_operation)

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None


SIZES = ('min_size', 'max_size', 'desired_capacity')


def effective_sizes(desired, current=None):
    """Merge the user's sizes over the current ones and check min <= desired <= max (max -1 = no limit).

    ``desired``/``current``: dicts with min_size, max_size, desired_capacity (None = not set).
    Returns the effective dict; raises InvalidInput before any write.
    """
    current = current or {}
    defaults = dict(min_size=0, max_size=-1, desired_capacity=None)
    eff = {}
    for key in ('min_size', 'max_size', 'desired_capacity'):
        value = desired.get(key)
        if value is None:
            value = current.get(key)
        if value is None:
            value = defaults[key]
        eff[key] = value
    if eff['desired_capacity'] is None:
        eff['desired_capacity'] = eff['min_size']
    lo, hi, want = eff['min_size'], eff['max_size'], eff['desired_capacity']
    if lo < 0:
        raise InvalidInput('min_size must be >= 0 (got %s).' % lo)
    if hi < -1:
        raise InvalidInput('max_size must be >= 0, or -1 for no upper limit (got %s).' % hi)
    if hi != -1 and lo > hi:
        raise InvalidInput('min_size (%s) is greater than max_size (%s).' % (lo, hi))
    if want < lo or (hi != -1 and want > hi):
        given = ', '.join('%s=%s' % (k, desired[k]) for k in ('min_size', 'max_size', 'desired_capacity')
                          if desired.get(k) is not None)
        raise InvalidInput('desired_capacity (%s) is outside [min_size %s, max_size %s]%s.'
                           % (want, lo, 'unlimited' if hi == -1 else hi,
                              ' (given: %s; the others are the cluster\'s current values)' % given
                              if current else ''))
    return eff


def resize_body(desired, current, strict=None):
    """The ``resize`` action body for the sizes that differ, or None when nothing differs."""
    body = {}
    if desired.get('desired_capacity') is not None and desired['desired_capacity'] != current.get('desired_capacity'):
        body['adjustment_type'] = 'EXACT_CAPACITY'
        body['number'] = desired['desired_capacity']
    for key in ('min_size', 'max_size'):
        if desired.get(key) is not None and desired[key] != current.get(key):
            body[key] = desired[key]
    if not body:
        return None
    if strict is not None:
        body['strict'] = strict
    return body


class DesiredCluster(Desired):
    """The cluster the user asked for (the cluster module's options)."""

    OPTIONS = ('name', 'new_name', 'state', 'profile', 'profile_spec', 'profile_name', 'profile_only', 'min_size',
               'max_size', 'desired_capacity', 'strict', 'cluster_timeout', 'metadata', 'config', 'check', 'recover',
               'recover_params', 'adjustment_type', 'number', 'min_step', 'operation', 'operation_params',
               'operation_filters', 'replace_nodes', 'force', 'repair', 'keep_failed', 'profile_secret_properties',
               'profile_secret_parameters', 'diff_secrets')
    SECRETS = ('profile_spec', 'profile_secret_properties', 'profile_secret_parameters')

    def __init__(self, **values):
        super(DesiredCluster, self).__init__(**values)
        self.profile_spec = merge_spec_secrets(
            self.profile_spec, self.profile_secret_properties, self.profile_secret_parameters,
            names=('profile_spec', 'profile_secret_properties', 'profile_secret_parameters'))
        self.view = SpecView(full=self.diff_secrets)
        self.number = check_adjustment(self.adjustment_type, self.number, self.min_step)
        if self.adjustment_type == EXACT_CAPACITY:
            self.desired_capacity, self.adjustment_type = self.number, None   # the idempotent resize

    @property
    def sizes(self):
        """The sizes the user set: {min_size, max_size, desired_capacity} (None = not set)."""
        return dict((key, getattr(self, key)) for key in SIZES)

    @property
    def target_name(self):
        """The cluster's name after the task."""
        return self.new_name or self.name

    @property
    def managed_profile_name(self):
        """The name of the profiles the module makes from ``profile_spec``."""
        return self.profile_name or self.new_name or self.name


class ClusterPlan(Plan):
    """What the cluster module will do: a Difference plus ordered steps (named attributes, in apply order)."""

    def __init__(self):
        super(ClusterPlan, self).__init__()
        self.create = None          # create body
        self.new_profile = None     # (name, spec, metadata) to create before create/update
        self.update = {}            # PATCH body (name, metadata, timeout, config, profile_id, profile_only)
        self.resize = None          # resize body
        self.old_profile_id = None  # managed profile to delete after the switch
        self.delete = False
        self.profile_name = None    # name of the module-made profiles
        self.keep_failed = False    # keep stacks of failed node creates (listed) instead of deleting them
        self.node_profile = None    # the nodes' profile (or spec) when known at plan time: are they Heat stacks?
        self.capacity = None        # the desired_capacity a relative resize gives (Senlin's arithmetic)
        self.replace = {}           # replace_nodes body: {old node id: new node id}
        self.replace_heat = False   # the nodes are os.heat.stack ones (Senlin 16 cannot move them)
        self.operation = None       # ops body: {operation: {params, filters}}
        self.force = False          # force the delete
        self.health = HealthReport()


def find_cluster(client, desired):
    """The cluster named ``name`` or, after a rename, ``new_name``; None when neither exists."""
    current = client.find('cluster', desired.name)
    if current is None and desired.new_name:
        current = client.find('cluster', desired.new_name)
    return current


def read_cluster_profiles(client, current, desired):
    """(the cluster's profile, the profile asked for), checking sizes and references before any write."""
    if desired.state != 'present':
        return None, None
    effective_sizes(desired.sizes, current)
    if current is None and desired.adjustment_type in RELATIVE:
        raise InvalidInput("Cluster '%s' does not exist; adjustment_type %s changes the size of an existing cluster: "
                           "use desired_capacity to create it." % (desired.name, desired.adjustment_type))
    if current is None and not (desired.profile or desired.profile_spec):
        raise InvalidInput("Cluster '%s' does not exist; profile or profile_spec is needed to create it."
                           % desired.name)
    if desired.profile:
        return None, client.find('profile', desired.profile, required=True)
    if desired.profile_spec is None:
        return None, None
    if current is not None:
        return client.get('profile', current['profile_id']), None
    return None, client.find('profile', desired.managed_profile_name)


def plan_cluster(current, desired, current_profile=None, wanted_profile=None, found=None):
    """Plan a cluster change. ``current``: the cluster dict or None; ``desired``: a DesiredCluster.

    ``current_profile``: the cluster's profile dict (when ``profile_spec`` is used and the cluster exists);
    ``wanted_profile``: the profile dict named by ``profile`` (or the reusable one for ``profile_spec``);
    ``found``: what ``cluster_ops.read_cluster_ops`` found (the operation's nodes, the replacements).
    """
    plan = ClusterPlan()
    plan.profile_name = desired.managed_profile_name
    plan.keep_failed = desired.keep_failed
    if desired.state == 'absent':
        check_deletable(current, desired.force)
        plan.force = bool(desired.force)
        plan_delete(plan, current)
    elif current is None:
        _plan_create(plan, desired, wanted_profile)
    else:
        _plan_update(plan, current, desired, current_profile, wanted_profile)
    plan.node_profile = plan.new_profile[1] if plan.new_profile else (wanted_profile or current_profile)
    plan.predicted = predicted_cluster(current, plan)
    return plan_cluster_ops(plan, current, desired, found)


def _plan_create(plan, desired, wanted_profile):
    eff = effective_sizes(desired.sizes)
    body = dict(name=desired.target_name, desired_capacity=eff['desired_capacity'],
                min_size=eff['min_size'], max_size=eff['max_size'])
    for opt, key in (('metadata', 'metadata'), ('cluster_timeout', 'timeout'), ('config', 'config')):
        if getattr(desired, opt) is not None:
            body[key] = getattr(desired, opt)
    spec = desired.profile_spec
    if spec is None:
        body['profile_id'] = wanted_profile['id']
    elif wanted_profile and spec_equal(spec, wanted_profile.get('spec')):
        body['profile_id'] = wanted_profile['id']
    else:
        plan.new_profile = managed_profile(plan.profile_name, spec)
        if is_managed(wanted_profile):
            plan.old_profile_id = wanted_profile['id']
    plan.create = body
    shown = dict(body)
    shown['profile'] = plan.profile_name if plan.new_profile else wanted_profile.get('name')
    shown.pop('profile_id', None)
    plan.diff.merge(diff_for_create(shown))


def _plan_update(plan, current, desired, current_profile, wanted_profile):
    sizes = desired.sizes
    eff = effective_sizes(sizes, current)
    new_name = desired.new_name
    if new_name and new_name != current.get('name'):
        plan.update['name'] = new_name
        plan.diff.add('name', current.get('name'), new_name)
    for opt, key, method in (('metadata', 'metadata', 'dict'), ('cluster_timeout', 'timeout', 'value'),
                             ('config', 'config', 'dict')):
        value = getattr(desired, opt)
        if value is not None and plan.diff.compare(opt, value, current.get(key), method):
            plan.update[key] = value
    _plan_profile_change(plan, current, desired, current_profile, wanted_profile)
    if desired.adjustment_type in RELATIVE:
        eff = _plan_relative_resize(plan, current, desired)
    elif any(sizes[k] is not None for k in sizes):
        plan.resize = resize_body(eff, current, desired.strict)
    if plan.resize:
        for key in SIZES:
            if eff[key] != current.get(key):
                plan.diff.add(key, current.get(key), eff[key])


def _plan_relative_resize(plan, current, desired):
    """A relative resize (not idempotent by nature): planned when the capacity Senlin will compute, or a size
    given with it, differs from the cluster's; the body is the user's adjustment, as Senlin takes it, with the
    min_size/max_size given (sent even when equal to the cluster's: Senlin checks a given bound whatever ``strict``
    says, as ``relative_capacity`` does). Returns the sizes after it."""
    plan.capacity = relative_capacity(current, desired)
    eff = effective_sizes(dict(desired.sizes, desired_capacity=plan.capacity), current)
    if resize_body(eff, current):
        plan.resize = relative_resize_body(desired)
        plan.resize.update((key, getattr(desired, key)) for key in ('min_size', 'max_size')
                           if getattr(desired, key) is not None)
    return eff


def _plan_profile_change(plan, current, desired, current_profile, wanted_profile):
    spec = desired.profile_spec
    if spec is not None:
        old_spec = (current_profile or {}).get('spec')
        if spec_equal(spec, old_spec):
            return
        if heat_parameter_only_change(old_spec, spec) and not desired.profile_only and current.get('nodes'):
            raise InvalidInput(
                'The new os.heat.stack profile spec changes only properties other than the template '
                '(parameters, timeout, environment, files, disable_rollback). Senlin 16 applies that to the '
                'existing nodes with a stack update that has no template and Heat rejects it '
                '(400 "No template specified"; the nodes would go ERROR). Change the template as well, '
                'or set profile_only=true to use the new profile for new nodes only.')
        plan.new_profile = managed_profile(plan.profile_name, spec)
        if is_managed(current_profile):
            plan.old_profile_id = current_profile['id']
        plan.diff.add('profile_spec', desired.view.show(old_spec), desired.view.show(spec))
        plan.update['profile_id'] = None  # filled with the new profile's id at apply time
    elif wanted_profile is not None and wanted_profile['id'] != current.get('profile_id'):
        plan.update['profile_id'] = wanted_profile['id']
        plan.diff.add('profile', current.get('profile_name') or current.get('profile_id'), wanted_profile.get('name'))
    else:
        return
    if desired.profile_only:
        plan.update['profile_only'] = True


def predicted_cluster(current, plan):
    """The cluster as it will be after ``plan`` (check mode's answer)."""
    if plan.delete:
        return None
    data = dict(current or {})
    if plan.create:
        data.update(plan.create)
        data.setdefault('nodes', [])
        data['status'] = 'ACTIVE'
    for key, value in plan.update.items():
        if key != 'profile_only' and value is not None:
            data[key] = value
    if plan.resize:
        if plan.capacity is not None:
            data['desired_capacity'] = plan.capacity
        elif 'number' in plan.resize:
            data['desired_capacity'] = plan.resize['number']
        for key in ('min_size', 'max_size'):
            if key in plan.resize:
                data[key] = plan.resize[key]
    return data


def _delete_cluster(client, cluster, plan, warn=None):
    client.write('DELETE', '/clusters/%s%s' % (cluster['id'], '?force=true' if plan.force else ''), None,
                 'CLUSTER_DELETE', cluster['id'])
    if not client.wait:
        return
    # Senlin deletes its nodes' stacks, not those that failed node creates left behind: looked for (in Heat) while
    # the module's profiles go (in Senlin)
    dummy, stacks = in_parallel(
        lambda: delete_managed_profiles(client, [cluster.get('profile_id')], plan.profile_name, warn),
        lambda: client.node_stacks(cluster_id=cluster['id']))
    left = [s for s in stacks if not str(s.get('stack_status') or '').startswith('DELETE')]
    if left and plan.keep_failed:
        plan.health.kept = left
    elif left:
        plan.health.removed = left
        client.delete_stacks(left)


def _create_cluster(client, body, new_profile_id):
    """Create the cluster (waiting on it when ``client.wait``); a concurrent run's older twin is adopted instead
    (``settle_twins``: a first look right after the create, the last after the wait). Returns the cluster's id."""
    cluster, record = create_object(client, 'cluster', body, 'CLUSTER_CREATE', settle=False)
    if record and client.wait:
        client.wait_record(record)
    if cluster['id'] not in client.adopted:
        cluster, record = settle_twins(client, 'cluster', cluster, body, record, 'CLUSTER_CREATE')
        if record and client.wait and record.get('status') is None:
            client.wait_record(record)
    if new_profile_id and cluster.get('profile_id') != new_profile_id:
        delete_profile_if_unused(client, new_profile_id)   # the adopted twin uses the other run's profile
    return cluster['id']


def apply_cluster(client, current, plan, warn=None):
    """Carry out ``plan`` (never called in check mode). Returns the cluster dict afterwards (None when deleted)."""
    if plan.delete:
        _delete_cluster(client, current, plan, warn)
        return None

    new_profile_id = None
    if plan.new_profile:
        name, spec, metadata = plan.new_profile
        # a concurrent run's twin profile is settled through the cluster: the run whose cluster goes deletes its
        # profile below when the cluster it adopts uses another (an update keeps its cluster: no look)
        new_profile_id = create_profile(client, name, spec, metadata,
                                        settle=False if plan.create is not None else None)['id']
        if plan.create is not None:
            plan.create['profile_id'] = new_profile_id
        else:
            plan.update['profile_id'] = new_profile_id
    try:
        if plan.create is not None:
            cluster_id = _create_cluster(client, plan.create, new_profile_id)
            new_profile_id = None  # in use by the cluster from now on
        else:
            cluster_id = current['id']
        if plan.update:
            client.write('PATCH', '/clusters/%s' % cluster_id, {'cluster': plan.update}, 'CLUSTER_UPDATE',
                         cluster_id)
            new_profile_id = None
    except (CloudModuleError, sdk_exceptions.HttpException):
        if new_profile_id:
            delete_profile_if_unused(client, new_profile_id)
        raise
    if plan.old_profile_id and client.wait:
        delete_profile_if_unused(client, plan.old_profile_id, warn if plan.create is None else None)
    if plan.resize:
        client.write('POST', '/clusters/%s/actions' % cluster_id, {'resize': plan.resize}, 'CLUSTER_RESIZE',
                     cluster_id)
    if plan.replace:
        apply_replace(client, cluster_id, plan)
    return client.get('cluster', cluster_id)


def apply_cluster_healing(client, current, plan, desired, warn=None):
    """``apply_cluster``; a create or resize action that failed on some nodes is not raised yet: returns
    ``(cluster, failure)`` so that ``converge_cluster`` recreates the failed nodes (or raises the failure)."""
    try:
        return apply_cluster(client, current, plan, warn=warn), None
    except ResourceFailed as exc:
        failed = client.actions[-1] if client.actions else {}
        target = client.find('cluster', desired.target_name) \
            if failed.get('name') in ('CLUSTER_CREATE', 'CLUSTER_RESIZE') else None
        if target is None:
            raise
        return target, exc


def converge_cluster(client, target, plan, desired, check_mode=False, failure=None, warn=None):
    """After the plan's writes (in check mode: instead of them), with ``state=present``: make every node healthy
    (``converge_health``, when waiting or in check mode), then run the check/recover actions asked for. The
    findings go into ``plan.health`` and ``plan.diff``. Returns the cluster afterwards."""
    if desired.state != 'present':
        return target
    if target and target.get('id') and (client.wait or check_mode):
        profile = plan.node_profile or client.get('profile', target.get('profile_id'))
        plan.health = converge_health(client, target, plan.diff, is_heat_profile(profile), check_mode=check_mode,
                                      repair=desired.repair, keep_failed=desired.keep_failed, failure=failure)
        if failure is not None and not plan.health.repaired:
            raise failure   # no node to recreate: the action failed for another reason
        if failure is not None and warn:
            warn('%s The module recreated the failed nodes: %s.'
                 % (failure.msg, ', '.join(n.name for n in plan.health.repaired)))
        if plan.health.repaired and not check_mode:
            target = client.get('cluster', target['id'])
    for flag in ('check', 'recover'):
        if getattr(desired, flag):
            plan.diff.add(flag, None, True)
            if not check_mode:
                cluster_action(client, target['id'], flag, desired.recover_params if flag == 'recover' else {})
                target = client.get('cluster', target['id'])
    if plan.operation and not check_mode:
        run_operation(client, target['id'], plan.operation)
        target = client.get('cluster', target['id'])
    return target


def cluster_action(client, cluster_id, name, params=None):
    """Start (and wait on) a cluster action such as check or recover."""
    client.write('POST', '/clusters/%s/actions' % cluster_id, {name: params or {}}, 'CLUSTER_%s' % name.upper(),
                 cluster_id)
