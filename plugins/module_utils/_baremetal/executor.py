# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a plan: the instances' steps in threads, each instance with its own deadline, and the clean-up.

``apply_instances`` runs the jobs of an ``InstancesPlan`` (``concurrency`` at a time). Each instance gets one
``_wait.Deadline`` of ``timeout`` seconds when its thread starts; every wait of that instance uses it.
With ``clean_up``, the first failure stops the other instances' waits and what this run did is undone, in
reverse order per instance, with a deadline of its own (at least ``CLEANUP_MIN_TIMEOUT``); then one error
names every failed instance and what the clean-up did. Single SDK calls go to the baremetal proxy
(``api.bm``); what takes more (the provision state PUT, NICs, the snapshot) is a method of ``api.BaremetalApi``.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent import futures

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.configdrive import render_config_drive
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.image import build_instance_info
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.matching import node_label, reserve_candidates
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.plan import OPTIONAL_WAITS, has_writes
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.spec import HOSTNAME_FIELD
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    ResourceFailed, WaitTimeout, sdk_exceptions, status_code_of, translate_exception,
)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import (
    DEFAULT_BACKOFF, Backoff, Deadline, retry, retry_transient, wait_for,
)

try:
    from keystoneauth1 import adapter as ksa_adapter
except ImportError:  # pragma: no cover - the base reports the missing SDK
    ksa_adapter = None

# Requests to Ironic in flight at once, for all the instances of a task together (each instance's thread waits for
# a slot, first come first served; retries and their pauses hold none). 100 threads sending at once made 100
# connections, beyond the SDK's pool of 10: Ironic's own API server (cheroot: 10 threads, a listen queue of 5)
# reset some of them, and a reset POST cannot be sent again. Ironic answers a request in tens of milliseconds, so
# this many keep a deployment of 100 instances going without queueing behind one another for long.
MAX_REQUESTS = 8
# Polls per second of all the instances of a task together (about): each poll interval of a wait is at least the
# number of instances waiting at that moment divided by this. One instance polls as it always did (0.1 s, growing
# to 0.5 s), 10 at once every 0.5 s, 100 at once every 5 s at first, faster as they finish. Without it 100
# instances polling every 0.5 s sent 200 GETs a second, most of them answered "not yet" by an Ironic busy
# allocating and deploying.
POLLS_PER_SECOND = 20
# Pauses between provision requests Ironic refused as busy (503): growing to 5 s, the time a node takes to leave
# cleaning at the earliest.
BUSY_BACKOFF = Backoff(first=1.0, factor=1.5, cap=5.0, late_cap=5.0)
# Clean-up (undeploy, release) must be able to finish even when the task's timeout was tiny.
CLEANUP_MIN_TIMEOUT = 300
RESERVE_ATTEMPTS = 3
# Ironic's reasons for an allocation that found no node: worth another try with other candidates
RETRY_RESERVE_ON = ('available', 'filtered out')
STABLE_AFTER_DEPLOY = ('active', 'deploy failed', 'error')
UNDEPLOYABLE_STATES = ('active', 'deploy failed', 'error', 'wait call-back')
# where a node carries no deployment that another run could have started (its instance_info is free to clear)
UNTOUCHED_STATES = ('available', 'deploy failed', 'manageable', 'enroll')


class Aborted(Exception):
    """Another instance failed and clean_up is on: stop waiting."""


def apply_instances(api, plan, new_deadline=Deadline):
    """Run the plan's jobs; on failure undo (``clean_up``) and raise one error. ``new_deadline(seconds)``
    makes each instance's ``Deadline`` (tests give one on a fake clock)."""
    desired = plan.desired
    return Executor(api, new_deadline).apply(plan.jobs, desired.state, desired.wait, desired.timeout,
                                             desired.concurrency, desired.clean_up)


class Executor(object):
    """The threads of one apply: they share the abort flag that a failure sets when ``clean_up`` is on."""

    def __init__(self, api, new_deadline=Deadline):
        self.api = api
        self.bm = api.bm
        self.new_deadline = new_deadline
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self.waiting = 0        # instances in a wait now
        self.backoff = PacedBackoff(lambda: self.waiting, POLLS_PER_SECOND)

    def apply(self, jobs, state, wait, timeout, concurrency=0, clean_up=True):
        """Run the jobs with writes in threads; on failure undo (clean_up) and raise one error."""
        todo = [j for j in jobs if j.steps]
        if not todo:
            return jobs
        workers = min(len(todo), concurrency if concurrency and concurrency > 0 else len(todo))
        with RequestSlots(self.bm, MAX_REQUESTS if workers > 1 else None):
            with futures.ThreadPoolExecutor(max_workers=workers) as pool:
                running = [pool.submit(self._run_job, job, state, wait, timeout, clean_up) for job in todo]
                futures.wait(running)
            failed = [j for j in todo if j.error is not None]
            if not failed:
                return jobs
            if clean_up:
                self._clean_up([j for j in todo if j.undo], timeout)
        raise self._failure(jobs, failed, clean_up)

    def _run_job(self, job, state, wait, timeout, clean_up):
        if self._abort.is_set():
            return
        job.started = True
        deadline = self.new_deadline(timeout)
        try:
            for step in job.steps:
                if step in OPTIONAL_WAITS and not wait:
                    continue
                getattr(self, '_step_' + step)(job, deadline)
            job.finished = True
        except Aborted:
            job.aborted = True
        except Exception as exc:  # recorded per instance, reported together with the others
            job.error = exc
            if clean_up:
                self._abort.set()

    def _fetcher(self, getter):
        def fetch():
            if self._abort.is_set():
                raise Aborted()
            return getter()
        return fetch

    def _wait_for(self, fetch, done, failed=None, **kwargs):
        """``_wait.wait_for`` with the poll intervals paced by how many instances wait at the same time."""
        with self._lock:
            self.waiting += 1
        try:
            return wait_for(fetch, done, failed, backoff=self.backoff, **kwargs)
        finally:
            with self._lock:
                self.waiting -= 1

    def _wait_allocation(self, allocation, hostname, deadline, abortable=True):
        def getter():
            return self.bm.get_allocation(allocation.id)
        return self._wait_for(self._fetcher(getter) if abortable else getter, lambda a: a.state == 'active',
                              lambda a: (a.last_error or 'no reason given') if a.state == 'error' else None,
                              deadline=deadline, what="the reservation of '%s'" % hostname, describe=lambda a: a.state)

    def _wait_node(self, node_id, wanted, failures, deadline, what, abortable=True):
        def failed(node):
            if node.provision_state in failures:
                return '%s: %s' % (node.provision_state, node.last_error or 'no reason given')
            return None

        def getter():
            return self.api.get_node(node_id)
        return self._wait_for(self._fetcher(getter) if abortable else getter, lambda n: n.provision_state in wanted,
                              failed, deadline=deadline, what=what, describe=lambda n: n.provision_state)

    def _set_provision_state(self, node_id, target, deadline, config_drive=None):
        """The provision PUT. Ironic answers 503 before acting when its conductor is at a limit (more than
        ``[conductor] max_concurrent_deploy`` deploys, 250, or ``max_concurrent_clean`` undeploys, 50, at once;
        no free worker): the request is sent again within the instance's deadline (after the SDK's own tries),
        since a refused one changed nothing. 100 instances unprovisioned in one task met the 50."""
        return retry_transient(lambda: self.api.set_provision_state(node_id, target, config_drive=config_drive),
                               deadline, may_retry=lambda exc: status_code_of(exc) == 503, backoff=BUSY_BACKOFF)

    # steps: each one a small piece of the plan
    def _step_drop_allocation(self, job, deadline):
        self.bm.delete_allocation(job.current['allocation'].id, ignore_missing=True)
        job.current = {'allocation': None, 'node': None}

    def _step_reserve(self, job, deadline):
        spec = job.spec
        kwargs = dict(name=spec['hostname'], resource_class=spec['resource_class'])
        if spec['traits']:
            kwargs['traits'] = spec['traits']
        narrowed = spec['candidates'] or spec['capabilities'] or spec['conductor_group'] is not None
        attempts = []

        def attempt():
            """One reservation: the active allocation, or the ResourceFailed of one that found no node."""
            attempts.append(attempt)
            kwargs.pop('candidate_nodes', None)
            candidates = reserve_candidates(job, len(attempts))
            if candidates or narrowed:
                kwargs['candidate_nodes'] = candidates or [n.id for n in job.candidates]
            allocation = self._create_allocation(job, kwargs)
            job.undo.append(('allocation', allocation.id))
            try:
                return self._wait_allocation(allocation, job.hostname, deadline)
            except ResourceFailed as exc:
                self.bm.delete_allocation(allocation.id, ignore_missing=True)
                job.undo.remove(('allocation', allocation.id))
                return exc

        def taken(outcome):
            # another client took the node between our read and the allocation: try again (bounded)
            return isinstance(outcome, ResourceFailed) and any(m in outcome.msg for m in RETRY_RESERVE_ON)

        allocation = retry(attempt, taken, deadline, attempts=RESERVE_ATTEMPTS)
        if isinstance(allocation, ResourceFailed):
            raise ResourceFailed("Reserving a node for '%s' failed: %s" % (job.hostname, allocation.msg))
        job.current = {'allocation': allocation, 'node': self._reserved_node(job, allocation)}

    def _create_allocation(self, job, kwargs):
        """POST the reservation. Ironic's allocation names are unique: a 409 on a name this run's snapshot did not
        have means another run reserved the same hostname meanwhile (this run then changed nothing)."""
        try:
            return self.bm.create_allocation(**kwargs)
        except Exception as exc:  # the SDK's ConflictException (409)
            if not is_conflict(exc) or self.api.find_allocation_named(job.hostname) is None:
                raise
            raise ResourceFailed('another run reserved the same hostname at the same time (Ironic: %s); this run '
                                 'changed nothing - run the task again once the other run is done'
                                 % ironic_reason(exc))

    def _step_wait_allocation(self, job, deadline):
        allocation = self._wait_allocation(job.current['allocation'], job.hostname, deadline)
        job.current = {'allocation': allocation, 'node': self._reserved_node(job, allocation)}

    def _reserved_node(self, job, allocation):
        """The node of a reservation that just became active. When the provision step follows, the node as read
        in the run's snapshot (one GET fewer per instance): Ironic reserves only nodes that are free and not in
        maintenance, and the instance_info PATCH answers with the node as it is then. Else read again (the
        returned view shows it)."""
        if 'provision' in job.steps:
            for node in self.api.nodes or ():
                if node.id == allocation.node_id:
                    return node
        return self.api.get_node(allocation.node_id)

    def _step_provision(self, job, deadline):
        node = job.current['node']
        if 'reserve' not in job.steps and 'wait_allocation' not in job.steps:
            node = self._still_free(job, node)
        if node.is_maintenance:
            raise ResourceFailed("node %s is in maintenance (%s)" % (node_label(node), node.maintenance_reason))
        network_data = None
        if job.spec['nics']:
            network_data = self.api.attach_nics(job.hostname, node, job.spec['nics'],
                                                lambda kind, data: job.undo.append((kind, data)))
        info = build_instance_info(job.spec, node, job.image_info)
        node = self.bm.patch_node(node, [{'op': 'add', 'path': '/instance_info', 'value': info}])
        job.undo.append(('instance_info', node.id))
        drive = render_config_drive(job.spec, node, network_data)
        try:
            self._set_provision_state(node.id, 'active', deadline, config_drive=drive)
        except Exception as exc:  # the SDK's BadRequestException (400): Ironic's InvalidStateRequested
            self._refused(job, node, exc)
        # only a deploy Ironic accepted is this run's to undo: a refused one (another run deployed the node
        # first) must never unprovision the node
        job.undo.append(('deploy', node.id))

    def _refused(self, job, node, exc):
        """A provision request Ironic refused: when the node now carries a deployment this run did not start,
        another run deployed the same hostname at the same time - say so (the clean-up leaves it alone)."""
        now = reason = None
        if is_bad_request(exc):
            try:
                now = self.api.get_node(node.id)
            except Exception:  # the refusal is what to report
                now = None
        if now is not None:
            reason = deployed_by_others(now)
        if reason is None:
            raise exc
        state = reason.split(',')[0]
        raise ResourceFailed('another run deployed the same hostname at the same time (node %s is now %s); Ironic '
                             "refused this run's deploy request: %s" % (node_label(now), state, ironic_reason(exc)))

    def _still_free(self, job, node):
        """The node of a reservation read in the snapshot, read again before the first write: another run
        (same hostname) may have deployed it since. Ironic refuses a second deploy anyway; this keeps the
        loser from writing instance_info and NICs onto the winner's node first."""
        node = self.api.get_node(node.id)
        reason = deployed_by_others(node)
        allocation = job.current.get('allocation')
        if reason is None and allocation is not None and node.allocation_id != allocation.id:
            reason = 'held by allocation %s, not %s' % (node.allocation_id, allocation.id)
        if reason:
            raise ResourceFailed("node %s of '%s' is now %s; nothing was written to it (another run may be "
                                 "deploying the same hostname)" % (node_label(node), job.hostname, reason))
        job.current['node'] = node
        return node

    def _step_wait_active(self, job, deadline):
        node = job.current['node']
        job.current['node'] = self._wait_node(node.id, ('active',), ('deploy failed', 'error'), deadline,
                                              "the deployment of '%s' on node %s" % (job.hostname, node_label(node)))

    def _step_wait_deployed(self, job, deadline):
        node = job.current['node']
        job.current['node'] = self._wait_node(node.id, STABLE_AFTER_DEPLOY, (), deadline,
                                              "node %s to finish deploying" % node_label(node))

    def _step_undeploy(self, job, deadline):
        node = job.current['node']
        if node.is_maintenance:
            raise ResourceFailed("node %s is in maintenance (%s)" % (node_label(node), node.maintenance_reason))
        self.api.detach_nics(node)
        self._set_provision_state(node.id, 'deleted', deadline)

    def _step_wait_available(self, job, deadline):
        node = job.current['node']
        job.current['node'] = self._wait_node(node.id, ('available',), ('error', 'clean failed'), deadline,
                                              "the unprovisioning of '%s' on node %s" % (job.hostname, node_label(node)))
        job.current['allocation'] = None

    def _step_release(self, job, deadline):
        node, allocation = job.current['node'], job.current['allocation']
        if node is not None and (node.instance_info or {}).get(HOSTNAME_FIELD) == job.hostname:
            self.bm.patch_node(node, [{'op': 'add', 'path': '/instance_info', 'value': {}}])
        if allocation is not None:
            self.bm.delete_allocation(allocation.id, ignore_missing=True)
        elif node is not None and node.instance_id:
            self.bm.patch_node(node, [{'op': 'remove', 'path': '/instance_uuid'}], retry_on_conflict=False)
        job.current = {'allocation': None, 'node': node}

    # -- clean-up -------------------------------------------------------------------------------
    def _clean_up(self, jobs, timeout):
        cleanup_timeout = max(timeout, CLEANUP_MIN_TIMEOUT)
        with futures.ThreadPoolExecutor(max_workers=len(jobs) or 1) as pool:
            futures.wait([pool.submit(self._undo_job, job, cleanup_timeout) for job in jobs])

    def _undo_job(self, job, timeout):
        deadline = self.new_deadline(timeout)
        node_done = False       # the node was unprovisioned, or left alone as no longer this run's
        for kind, data in reversed(job.undo):
            try:
                node_done = self._undo(kind, data, job, deadline, node_done) or node_done
            except Exception as exc:  # reported in the failure message, never hidden
                job.cleanup.append('failed to undo %s %s: %s' % (kind, data, exc))
                return

    def _undo(self, kind, data, job, deadline, node_done):
        """Undo one recorded step, after checking that what it changed is still this run's (else a note).
        True when the node is done with: unprovisioned, or left alone as no longer this run's."""
        if kind == 'deploy':
            return self._undo_deploy(data, job, deadline)
        if kind == 'vif':
            self.bm.detach_vif_from_node(data[0], data[1], ignore_missing=True)
        elif kind == 'port':
            self.api.conn.network.delete_port(data, ignore_missing=True)
        elif kind == 'instance_info' and not node_done:
            self._undo_instance_info(data, job)
        elif kind == 'allocation':
            self._undo_allocation(data, job, deadline)
        return False

    def _undo_deploy(self, node_id, job, deadline):
        node = self._wait_for(lambda: self.api.get_node(node_id),
                              lambda n: n.provision_state in STABLE_AFTER_DEPLOY + ('available',) or not_ours(job, n),
                              deadline=deadline, what='node %s to finish deploying before clean-up' % node_id,
                              describe=lambda n: n.provision_state)
        reason = not_ours(job, node)
        if reason:
            self._leave(job, 'left node %s as it is: %s (it was not unprovisioned)' % (node_label(node), reason))
            return True         # nor is its instance_info this run's to clear
        if node.provision_state in UNDEPLOYABLE_STATES:
            self._set_provision_state(node.id, 'deleted', deadline)
            node = self._wait_node(node_id, ('available',), ('error', 'clean failed'), deadline,
                                   'node %s to be unprovisioned' % node_id, abortable=False)
        job.cleanup.append('unprovisioned node %s (now %s)' % (node_label(node), node.provision_state))
        if job.reserved_before:
            self._restore_reservation(job, node, deadline)
        return True

    def _undo_instance_info(self, node_id, job):
        node = self.api.get_node(node_id)
        reason = deployed_by_others(node)
        reason = 'it is ' + reason if reason else not_ours(job, node)
        if reason:
            self._leave(job, 'left node %s as it is: %s (its instance_info was not cleared)' % (node_label(node), reason))
        else:
            self.bm.patch_node(node, [{'op': 'add', 'path': '/instance_info', 'value': {}}])

    def _undo_allocation(self, allocation_id, job, deadline):
        allocation = self.api.get_allocation_or_none(allocation_id)
        if allocation is None:
            return
        if allocation.state == 'allocating':
            # deleting it while Ironic still allocates would race with Ironic's allocation thread
            allocation = self._wait_for(lambda: self.bm.get_allocation(allocation_id), lambda a: a.state != 'allocating',
                                        deadline=deadline, what='reservation %s to settle before clean-up' % allocation_id,
                                        describe=lambda a: a.state)
        node = self.api.get_node(allocation.node_id) if allocation.node_id else None
        reason = deployed_by_others(node) if node is not None else None
        if reason:
            # another run (same hostname) deployed on this reservation: the instance is theirs now
            self._leave(job, 'kept reservation %s: its node %s is %s' % (allocation_id, node_label(node), reason))
            return
        self.bm.delete_allocation(allocation_id, ignore_missing=True)
        job.cleanup.append('released reservation %s' % allocation_id)

    @staticmethod
    def _leave(job, note):
        """An undo skipped because the node is no longer this run's: said in the error, never silent."""
        job.cleanup.append(note)
        job.skipped.append(note)

    def _restore_reservation(self, job, node, deadline):
        """Ironic removes the allocation when it undeploys: give back the reservation the instance had."""
        spec = job.spec
        kwargs = dict(name=job.hostname, resource_class=node.resource_class, candidate_nodes=[node.id])
        if spec['traits']:
            kwargs['traits'] = spec['traits']
        allocation = self.bm.create_allocation(**kwargs)
        self._wait_allocation(allocation, job.hostname, deadline, abortable=False)
        job.cleanup.append('reservation %s on node %s restored' % (job.hostname, node_label(node)))

    def _failure(self, jobs, failed, clean_up):
        lines = []
        for job in failed:
            reason = translate_exception(job.error)[0]
            where = ' (node %s)' % job.node_label if job.node_label else ''
            lines.append("'%s'%s: %s" % (job.hostname, where, reason))
        msg = '%d of %d instance(s) failed: %s.' % (len(failed), len(jobs), '; '.join(lines))
        if clean_up:
            undone = ['%s: %s' % (j.hostname, ', '.join(j.cleanup)) for j in jobs if j.cleanup]
            msg += ' Clean-up: %s.' % ('; '.join(undone) if undone else 'nothing to undo')
            skipped = [j.hostname for j in jobs if has_writes(j.steps) and not j.started]
            if skipped:
                msg += ' Not started: %s.' % ', '.join(skipped)
            stopped = [j.hostname for j in jobs if j.aborted]
            if stopped:
                msg += ' Stopped after the failure: %s.' % ', '.join(stopped)
        else:
            msg += ' clean_up is off: what was done is left as is (run again to continue, or state=absent to remove).'
        details = dict(failed_instances=[j.hostname for j in failed])
        skipped = ['%s: %s' % (j.hostname, note) for j in jobs for note in j.skipped]
        if skipped:
            details['cleanup_skipped'] = skipped
        error_cls = WaitTimeout if all(isinstance(j.error, WaitTimeout) for j in failed) else ResourceFailed
        return error_cls(msg, **details)


class RequestSlots(object):
    """At most ``size`` requests of the baremetal proxy ``bm`` in flight at once while the block runs: its
    ``request`` passes keystoneauth's ``rate_semaphore``, which keystoneauth holds around each HTTP exchange
    only (not around its retries' pauses, nor around the waits' sleeps). A no-op for ``size`` None or an
    object that is not a keystoneauth adapter (the unit tests' fakes)."""

    def __init__(self, bm, size):
        self.bm, self.size = bm, size
        self.installed = False

    def __enter__(self):
        if self.size and ksa_adapter is not None and isinstance(self.bm, ksa_adapter.Adapter):
            slots, request = threading.BoundedSemaphore(self.size), self.bm.request

            def limited(url, method, **kwargs):
                kwargs.setdefault('rate_semaphore', slots)
                return request(url, method, **kwargs)
            self.bm.request = limited
            self.installed = True
        return self

    def __exit__(self, *exc):
        if self.installed:
            del self.bm.request  # the class's own again
            self.installed = False


class PacedBackoff(object):
    """The poll intervals of ``_wait.DEFAULT_BACKOFF``, each at least ``waiting() / rate`` seconds: the instances
    that wait at the same time poll about ``rate`` times a second together."""

    def __init__(self, waiting, rate, base=DEFAULT_BACKOFF):
        self.waiting, self.rate, self.base = waiting, rate, base

    def intervals(self, clock):
        for interval in self.base.intervals(clock):
            yield max(interval, float(self.waiting()) / self.rate)


def not_ours(job, node):
    """Why ``node`` no longer carries this run's instance (None when it does): its ``display_name`` must be
    the job's hostname, and it must be held by the job's allocation (by its own UUID for an instance of
    old metalsmith without one)."""
    info = node.instance_info or {}
    if info.get(HOSTNAME_FIELD) != job.hostname:
        return "its instance_info.display_name is '%s', not '%s'" % (info.get(HOSTNAME_FIELD) or '', job.hostname)
    allocation = job.current.get('allocation')
    if allocation is not None and node.allocation_id != allocation.id:
        return "it is held by allocation %s, not %s" % (node.allocation_id, allocation.id)
    if allocation is None and node.instance_id != node.id:
        return "its instance_uuid is %s, not the node's own" % node.instance_id
    return None


def deployed_by_others(node):
    """Why a node that this run did not (or not yet) deploy is not to be touched: a deployment is on it."""
    if node.provision_state in UNTOUCHED_STATES:
        return None
    return "in provision state '%s', a deployment this run did not start" % node.provision_state


def is_conflict(exc):
    return sdk_exceptions is not None and isinstance(exc, sdk_exceptions.ConflictException)


def is_bad_request(exc):
    return sdk_exceptions is not None and isinstance(exc, sdk_exceptions.BadRequestException)


def ironic_reason(exc):
    """Ironic's own words for a refused request (without the SDK's 'OpenStack API error' prefix)."""
    msg = translate_exception(exc)[0]
    return msg.split(': ', 1)[1] if msg.startswith('OpenStack API error') and ': ' in msg else msg
