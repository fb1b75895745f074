# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bare-metal instances with metalsmith's semantics, built on openstacksdk's baremetal proxy.

An *instance* is a node that carries a hostname: the name of its Ironic allocation (or, for nodes
deployed by old metalsmith releases without an allocation, ``instance_info.display_name`` with
``instance_uuid`` equal to the node's own UUID). The flow per instance is metalsmith's:

  reserve   -- an allocation named after the hostname (resource class, traits; candidates filtered
               here by capabilities, conductor group, maintenance and availability, because the
               allocation API filters by neither capabilities nor conductor group)
  provision -- instance_info (image, checksum, root/swap size, capabilities, display_name), NICs when
               Neutron exists, then provision state ``active`` with a config drive as a dict
  wait      -- until ``active``, with a deadline (``_wait.py``: short first polls)
  absent    -- provision state ``deleted`` (Ironic removes the allocation) or, for a reservation
               that was never deployed, delete the allocation

Everything is read once (nodes with details, allocations), validated and planned before any write;
check mode stops after the plan. Instances run in threads (``concurrency``); with ``clean_up`` a
failure undoes what this run did, in reverse order per instance.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
import threading
import time
from concurrent import futures

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import translate_exception
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, ResourceFailed, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import wait_for

try:
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover - Python 2
    from urlparse import urlparse

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

try:
    from keystoneauth1 import exceptions as ksa_exceptions
except ImportError:  # pragma: no cover
    ksa_exceptions = None

HOSTNAME_FIELD = 'display_name'          # metalsmith's instance_info key for the hostname
CREATED_PORTS = 'metalsmith_created_ports'
ATTACHED_PORTS = 'metalsmith_attached_ports'
DEFAULT_RESOURCE_CLASS = 'baremetal'
# Clean-up (undeploy, release) must be able to finish even when the task's timeout was tiny.
CLEANUP_MIN_TIMEOUT = 300
RESERVE_ATTEMPTS = 3
# Ironic's reasons for an allocation that found no node: worth another try with other candidates
RETRY_RESERVE_ON = ('available', 'filtered out')
CONFIG_DRIVE_DICT_VERSION = '1.56'        # config drive as a JSON dict
RETRIABLE_STATUS_CODES = [409, 503]       # node locked, no free conductor: as the SDK's baremetal proxy

DEPLOYING_STATES = ('deploying', 'wait call-back', 'deploy wait', 'deploy hold')
UNDEPLOYING_STATES = ('deleting', 'cleaning', 'clean wait', 'clean hold', 'deleted')
STABLE_AFTER_DEPLOY = ('active', 'deploy failed', 'error')
UNDEPLOYABLE_STATES = ('active', 'deploy failed', 'error', 'wait call-back')

_HOSTNAME_RE = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$', re.I)
_HEX_RE = re.compile(r'^[0-9a-fA-F]+$')
_ALGO_BY_LENGTH = {32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512'}


# ------------------------------------------------------------------------------------------------
# Spec normalisation (metalsmith_instances format)
# ------------------------------------------------------------------------------------------------

def is_hostname_safe(hostname):
    return isinstance(hostname, str) and 0 < len(hostname) <= 255 and bool(_HOSTNAME_RE.match(hostname))


def _link_type(link):
    if not link:
        return None
    if link.startswith('http://') or link.startswith('https://'):
        return 'http'
    if link.startswith('file://'):
        return 'file'
    return 'glance'


def normalize_image(image):
    """``image`` as metalsmith takes it: a dict {href, checksum, kernel, ramdisk} or a plain href."""
    if image is None:
        return None
    if isinstance(image, str):
        image = {'href': image}
    if not isinstance(image, dict):
        raise ValueError('image must be a dict with href (and checksum, kernel, ramdisk) or a string')
    unknown = sorted(set(image) - {'href', 'checksum', 'kernel', 'ramdisk'})
    if unknown:
        raise ValueError('unknown image keys: %s (allowed: href, checksum, kernel, ramdisk)' % ', '.join(unknown))
    if not image.get('href'):
        raise ValueError('image.href is required')
    return dict((k, image.get(k)) for k in ('href', 'checksum', 'kernel', 'ramdisk'))


def normalize_instance(raw, index, state):
    """One instance of the user's list as a plain dict with every key set; raises ValueError."""
    spec = dict(raw or {})
    hostname = spec.get('hostname') or spec.get('name')
    if not hostname:
        raise ValueError('hostname (or name) is required')
    if not is_hostname_safe(hostname):
        raise ValueError('%r cannot be used as a hostname' % hostname)
    candidates = list(spec.get('candidates') or [])
    if spec.get('name') and spec['name'] not in candidates:
        candidates.append(spec['name'])
    config_drive = dict(spec.get('config_drive') or {})
    for key in ('cloud_config', 'meta_data'):
        if config_drive.get(key) is not None and not isinstance(config_drive[key], dict):
            raise ValueError('config_drive.%s must be a dict' % key)
    keys = spec.get('ssh_public_keys') or []
    if isinstance(keys, str):
        keys = [keys]
    capabilities = spec.get('capabilities') or {}
    if not isinstance(capabilities, dict):
        raise ValueError('capabilities must be a dict')
    image = normalize_image(spec.get('image'))
    if state == 'present' and image is None:
        raise ValueError('image is required with state=present')
    nics = list(spec.get('nics') or [])
    for nic in nics:
        kinds = [k for k in ('network', 'subnet', 'port') if nic.get(k)]
        if len(kinds) != 1:
            raise ValueError('each nic needs exactly one of network, subnet or port: %r' % (nic,))
        if nic.get('fixed_ip') and kinds != ['network']:
            raise ValueError('fixed_ip is only valid with network: %r' % (nic,))
    return dict(
        index=index, hostname=hostname, name=spec.get('name'), candidates=candidates,
        resource_class=spec.get('resource_class') or DEFAULT_RESOURCE_CLASS,
        traits=sorted(set(spec.get('traits') or [])),
        capabilities=dict((str(k), str(v)) for k, v in capabilities.items()),
        conductor_group=spec.get('conductor_group'),
        image=image, nics=nics, root_size_gb=spec.get('root_size_gb'), swap_size_mb=spec.get('swap_size_mb'),
        netboot=bool(spec.get('netboot')), ssh_public_keys=list(keys), user_name=spec.get('user_name'),
        passwordless_sudo=True if spec.get('passwordless_sudo') is None else bool(spec.get('passwordless_sudo')),
        cloud_config=config_drive.get('cloud_config'), meta_data=config_drive.get('meta_data'),
    )


def normalize_instances(instances, state):
    """Normalise the list; every problem (bad item, duplicate hostname or node) in one InvalidInput."""
    specs, problems = [], []
    for index, raw in enumerate(instances or []):
        try:
            specs.append(normalize_instance(raw, index, state))
        except ValueError as exc:
            label = (raw or {}).get('hostname') or (raw or {}).get('name') or '#%d' % index
            problems.append("instance '%s': %s" % (label, exc))
    seen = {}
    for spec in specs:
        seen.setdefault(spec['hostname'], []).append(spec['index'])
    for hostname, indexes in sorted(seen.items()):
        if len(indexes) > 1:
            problems.append("duplicate hostname '%s' (instances #%s)" % (hostname, ', #'.join(map(str, indexes))))
    names = {}
    for spec in specs:
        if spec['name']:
            names.setdefault(spec['name'], []).append(spec['hostname'])
    for name, hostnames in sorted(names.items()):
        if len(hostnames) > 1:
            problems.append("node '%s' is requested by more than one instance: %s" % (name, ', '.join(hostnames)))
    if problems:
        raise InvalidInput('Invalid instances: ' + '; '.join(problems), problems=problems)
    return specs


# ------------------------------------------------------------------------------------------------
# Node matching
# ------------------------------------------------------------------------------------------------

def parse_capabilities(value):
    """Ironic node capabilities: a 'k:v,k2:v2' string or a dict -> dict of strings."""
    if not value:
        return {}
    if isinstance(value, dict):
        return dict((str(k), str(v)) for k, v in value.items())
    result = {}
    for item in str(value).split(','):
        if ':' in item:
            key, val = item.split(':', 1)
            result[key.strip()] = val.strip()
    return result


def node_label(node):
    return '%s (%s)' % (node.name, node.id) if getattr(node, 'name', None) else node.id


def unusable_reason(node, hostname=None):
    """Why ``node`` cannot take a new reservation, or None."""
    if node.is_maintenance:
        return 'is in maintenance (%s)' % (node.maintenance_reason or 'no reason given')
    if node.allocation_id or node.instance_id:
        return 'is already in use (allocation %s, instance %s)' % (node.allocation_id, node.instance_id)
    if node.provision_state != 'available':
        return "is in provision state '%s', not 'available'" % node.provision_state
    return None


def mismatch_reason(node, spec):
    """Why ``node`` does not match what ``spec`` asks for (resource class, group, traits, capabilities), or None."""
    if node.resource_class != spec['resource_class']:
        return "has resource_class '%s', not '%s'" % (node.resource_class, spec['resource_class'])
    group = spec['conductor_group']
    if group is not None and (node.conductor_group or '') != group:
        return "is in conductor_group '%s', not '%s'" % (node.conductor_group or '', group)
    missing = sorted(set(spec['traits']) - set(node.traits or []))
    if missing:
        return 'lacks traits %s' % ', '.join(missing)
    caps = parse_capabilities((node.properties or {}).get('capabilities'))
    wrong = ['%s=%s' % (k, v) for k, v in sorted(spec['capabilities'].items()) if caps.get(k) != v]
    if wrong:
        return 'lacks capabilities %s' % ', '.join(wrong)
    return None


def describe_request(spec):
    parts = ["resource_class '%s'" % spec['resource_class']]
    if spec['traits']:
        parts.append('traits %s' % ', '.join(spec['traits']))
    if spec['capabilities']:
        parts.append('capabilities %s' % ', '.join('%s=%s' % kv for kv in sorted(spec['capabilities'].items())))
    if spec['conductor_group'] is not None:
        parts.append("conductor_group '%s'" % spec['conductor_group'])
    if spec['candidates']:
        parts.append('candidates %s' % ', '.join(spec['candidates']))
    return ', '.join(parts)


def _capability_summary(nodes, spec):
    counts = {}
    for node in nodes:
        if node.resource_class != spec['resource_class']:
            continue
        caps = parse_capabilities((node.properties or {}).get('capabilities'))
        for key in spec['capabilities']:
            if key in caps:
                label = '%s=%s' % (key, caps[key])
                counts[label] = counts.get(label, 0) + 1
    return ', '.join('%s (%d node(s))' % item for item in sorted(counts.items())) or 'none'


def lookup_node(nodes, ident):
    for node in nodes:
        if ident in (node.id, node.name):
            return node
    return None


def candidate_nodes(spec, nodes):
    """(usable nodes for a new reservation of ``spec``, problem message or None)."""
    if spec['candidates']:
        usable, why = [], []
        for ident in spec['candidates']:
            node = lookup_node(nodes, ident)
            if node is None:
                why.append("unknown candidate node '%s'" % ident)
                continue
            reason = unusable_reason(node) or mismatch_reason(node, spec)
            if reason:
                why.append('candidate node %s %s' % (node_label(node), reason))
            else:
                usable.append(node)
        unknown = [w for w in why if w.startswith('unknown')]
        if unknown or not usable:
            return [], 'no usable node among the candidates: %s' % '; '.join(why)
        return usable, None
    usable = [n for n in nodes if not unusable_reason(n) and not mismatch_reason(n, spec)]
    if usable:
        return usable, None
    msg = 'no available node matches %s' % describe_request(spec)
    if spec['capabilities']:
        msg += ' (existing capabilities: %s)' % _capability_summary(nodes, spec)
    return [], msg


def assign_nodes(demands):
    """Bipartite matching of instances to nodes. ``demands``: [(hostname, [node ids])].

    Returns ``{hostname: node id}`` for every instance that gets a node of its own (as many as possible);
    an instance missing from it is left without a node.
    """
    options_of = dict(demands)
    owner = {}

    def assign(hostname, seen):
        for node_id in options_of[hostname]:     # a free node first: fewer moves of earlier instances
            if node_id not in owner:
                owner[node_id] = hostname
                return True
        for node_id in options_of[hostname]:
            if node_id in seen:
                continue
            seen.add(node_id)
            if node_id not in owner or assign(owner[node_id], seen):
                owner[node_id] = hostname
                return True
        return False

    for hostname in options_of:
        assign(hostname, set())
    return dict((hostname, node_id) for node_id, hostname in owner.items())


# ------------------------------------------------------------------------------------------------
# Image, checksum, instance_info and config drive
# ------------------------------------------------------------------------------------------------

def parse_checksum_file(text, filename):
    """The checksum of ``filename`` in an md5sum/sha256sum style file (GNU or BSD format), or None.

    A file holding a single bare checksum is taken as the checksum of the image.
    """
    entries, bare = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        bsd = re.match(r'^\w+ \((.+)\) = ([0-9a-fA-F]+)$', line)
        if bsd:
            entries[os.path.basename(bsd.group(1))] = bsd.group(2)
            continue
        parts = line.split(None, 1)
        if len(parts) == 2 and _HEX_RE.match(parts[0]):
            entries[os.path.basename(parts[1].strip().lstrip('*'))] = parts[0]
        elif len(parts) == 1 and _HEX_RE.match(parts[0]):
            bare.append(parts[0])
    if filename in entries:
        return entries[filename]
    if not entries and len(bare) == 1:
        return bare[0]
    return None


def checksum_fields(checksum):
    """instance_info keys for a checksum: md5 -> image_checksum; others -> image_os_hash_algo/value.

    Accepts a bare hex digest (the algorithm is taken from its length) or ``<algo>:<hex>``.
    """
    algo, value = None, checksum.strip()
    if ':' in value:
        algo, value = value.split(':', 1)
        algo = algo.lower()
    if not _HEX_RE.match(value):
        raise ValueError('checksum %r is neither a hex digest nor a URL' % checksum)
    algo = algo or _ALGO_BY_LENGTH.get(len(value))
    if algo is None:
        raise ValueError('cannot tell the algorithm of checksum %r (length %d)' % (checksum, len(value)))
    if algo == 'md5':
        return {'image_checksum': value.lower()}
    return {'image_os_hash_algo': algo, 'image_os_hash_value': value.lower()}


def image_instance_info(image, resolved_checksum=None, glance_image=None):
    """The image part of instance_info for a normalised image (HTTP/file or a resolved Glance image)."""
    info = {}
    if glance_image is not None:
        info['image_source'] = glance_image['id']
        for key in ('kernel', 'ramdisk'):
            if glance_image.get(key):
                info[key] = glance_image[key]
    else:
        info['image_source'] = image['href']
        info.update(checksum_fields(resolved_checksum or image['checksum']))
        for key in ('kernel', 'ramdisk'):
            if image.get(key):
                info[key] = image[key]
    info['image_type'] = 'partition' if info.get('kernel') or info.get('ramdisk') else 'whole-disk'
    return info


def build_instance_info(spec, node, image_info):
    """The whole instance_info to set before deploying (metalsmith keeps only traits/capabilities)."""
    current = node.instance_info or {}
    info = {}
    if current.get('traits'):
        info['traits'] = current['traits']
    capabilities = dict(parse_capabilities(current.get('capabilities')))
    capabilities.update(spec['capabilities'])
    capabilities['boot_option'] = 'netboot' if spec['netboot'] else 'local'
    info['capabilities'] = capabilities
    info.update(image_info)
    root = spec['root_size_gb']
    if root is None and (node.properties or {}).get('local_gb'):
        root = max(int((node.properties or {})['local_gb']) - 1, 1)
    if root is not None:
        info['root_gb'] = root
    elif info['image_type'] == 'partition':
        raise InvalidInput("instance '%s': partition images need root_size_gb (node %s has no local_gb)"
                           % (spec['hostname'], node_label(node)))
    if spec['swap_size_mb'] is not None:
        info['swap_mb'] = spec['swap_size_mb']
    info[HOSTNAME_FIELD] = spec['hostname']
    return info


def render_user_data(spec):
    """metalsmith's CloudInitConfig: cloud_config plus the admin user, as '#cloud-config' JSON (or None)."""
    user_data = copy.deepcopy(spec['cloud_config'] or {})
    if spec['user_name']:
        user = {'name': spec['user_name'], 'groups': ['wheel']}
        if spec['passwordless_sudo']:
            user['sudo'] = 'ALL=(ALL) NOPASSWD:ALL'
        if spec['ssh_public_keys']:
            user['ssh_authorized_keys'] = list(spec['ssh_public_keys'])
        user_data.setdefault('users', []).append(user)
    if not user_data:
        return None
    return '#cloud-config\n' + json.dumps(user_data, sort_keys=True)


def render_meta_data(spec, node):
    """metalsmith's GenericConfig meta_data: the user's meta_data plus keys, uuid, name and hostname."""
    meta = dict(spec['meta_data'] or {})
    meta.update({
        'public_keys': dict((str(i), key) for i, key in enumerate(spec['ssh_public_keys'])),
        'uuid': node.id,
        'name': node.name,
        'hostname': spec['hostname'],
    })
    meta.setdefault('launch_index', 0)
    meta.setdefault('availability_zone', '')
    meta.setdefault('files', [])
    meta.setdefault('meta', {})
    return meta


def render_config_drive(spec, node, network_data=None):
    drive = {'meta_data': render_meta_data(spec, node)}
    user_data = render_user_data(spec)
    if user_data is not None:
        drive['user_data'] = user_data
    if network_data:
        drive['network_data'] = network_data
    return drive


# ------------------------------------------------------------------------------------------------
# Current state and plan
# ------------------------------------------------------------------------------------------------

def instance_status(current):
    """Status of the instance found for a hostname: absent, allocating, allocation_error, reserved,
    deploying, active, deploy_failed, undeploying, error or the node's provision state."""
    allocation, node = current.get('allocation'), current.get('node')
    if allocation is None and node is None:
        return 'absent'
    if allocation is not None and allocation.state == 'allocating':
        return 'allocating'
    if allocation is not None and (allocation.state == 'error' or node is None):
        return 'allocation_error'
    state = node.provision_state
    if state == 'available':
        return 'reserved'
    if state in DEPLOYING_STATES:
        return 'deploying'
    if state == 'deploy failed':
        return 'deploy_failed'
    if state in UNDEPLOYING_STATES:
        return 'undeploying'
    return state


# status -> steps, per wanted state. A missing status means "cannot act on it": fail before writes.
PLANS = {
    'present': {
        'absent': ['reserve', 'provision', 'wait_active'],
        'allocation_error': ['drop_allocation', 'reserve', 'provision', 'wait_active'],
        'allocating': ['wait_allocation', 'provision', 'wait_active'],
        'reserved': ['provision', 'wait_active'],
        'deploy_failed': ['provision', 'wait_active'],
        'deploying': ['wait_active'],
        'active': [],
    },
    'reserved': {
        'absent': ['reserve'],
        'allocation_error': ['drop_allocation', 'reserve'],
        'allocating': ['wait_allocation'],
        'reserved': [],
        'deploying': [],
        'active': [],
        'deploy_failed': [],
    },
    'absent': {
        'absent': [],
        'allocation_error': ['drop_allocation'],
        'allocating': ['wait_allocation', 'release'],
        'reserved': ['release'],
        'deploying': ['wait_deployed', 'undeploy', 'wait_available'],
        'active': ['undeploy', 'wait_available'],
        'deploy_failed': ['undeploy', 'wait_available'],
        'error': ['undeploy', 'wait_available'],
        'undeploying': ['wait_available'],
    },
}
WRITE_STEPS = ('reserve', 'provision', 'drop_allocation', 'release', 'undeploy')
# Waits that only follow the user's ``wait``; the others are needed to go on with the next step.
OPTIONAL_WAITS = ('wait_active', 'wait_available')
ACTIONS = (('undeploy', 'unprovisioned'), ('provision', 'provisioned'), ('reserve', 'reserved'),
           ('release', 'released'), ('drop_allocation', 'released'))


def plan_steps(state, status):
    """Steps for one instance, or None when the instance cannot be brought to ``state`` from ``status``."""
    return PLANS[state].get(status)


def action_of(steps):
    for step, action in ACTIONS:
        if step in steps:
            return action
    return 'none'


def has_writes(steps):
    return any(step in WRITE_STEPS for step in steps or [])


def predicted_status(state, steps, status, wait):
    """The status an instance will have after its steps ran (for check mode and diff)."""
    if not has_writes(steps):
        if steps and wait and steps[-1] in OPTIONAL_WAITS:
            return 'active' if steps[-1] == 'wait_active' else 'absent'
        return status
    if state == 'absent':
        return 'absent' if wait or 'undeploy' not in steps else 'undeploying'
    if state == 'reserved':
        return 'reserved'
    return 'active' if wait else 'deploying'


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------

def instance_view(hostname, current, action='none', status=None, ip_addresses=None):
    """The returned dict of one instance (also used by baremetal_instance_info)."""
    node, allocation = current.get('node'), current.get('allocation')
    info = (node.instance_info or {}) if node is not None else {}
    return dict(
        hostname=hostname,
        action=action,
        state=status or instance_status(current),
        id=node.id if node is not None else None,
        uuid=node.id if node is not None else None,
        name=node.name if node is not None else None,
        provision_state=node.provision_state if node is not None else None,
        power_state=node.power_state if node is not None else None,
        is_maintenance=bool(node.is_maintenance) if node is not None else None,
        allocation=(dict(id=allocation.id, name=allocation.name, state=allocation.state,
                         node_id=allocation.node_id, last_error=allocation.last_error)
                    if allocation is not None else None),
        image=info.get('image_source'),
        ip_addresses=ip_addresses,
    )


def job_view(job, state, wait):
    """The returned dict of a job from what it knows (its last poll after a wait; the plan in check mode)."""
    status = predicted_status(state, job.steps, job.status_before, wait)
    action = action_of(job.steps) if has_writes(job.steps) else 'none'
    if status == 'absent':
        view = instance_view(job.hostname, {'node': job.current.get('node'), 'allocation': None}, action, status)
        view['image'] = None
        return view
    return instance_view(job.hostname, job.current, action, status)


def diff_views(job, state, wait):
    """(before, after) of one instance for --diff: state, node and image."""
    node = job.current.get('node')
    before = {'state': job.status_before}
    if node is not None:
        before['node'] = node_label(node)
        if (node.instance_info or {}).get('image_source'):
            before['image'] = node.instance_info['image_source']
    after = {'state': predicted_status(state, job.steps, job.status_before, wait)}
    if state == 'present' and job.spec['image']:
        after['image'] = job.spec['image']['href']
    if state != 'absent' and 'reserve' not in (job.steps or []) and node is not None:
        after['node'] = node_label(node)
    return before, after


def link_type(link):
    return _link_type(link)


def reserve_candidates(job, attempt):
    """The candidate node ids of a reservation attempt (empty: leave the choice to Ironic).

    First the node the matching assigned; when another client took it, any other matching node the
    other reservations of this run do not need; last, whatever the request itself allows.
    """
    if job.assigned is None:
        return []
    if attempt == 1:
        return [job.assigned]
    if attempt == 2:
        return [n.id for n in job.candidates if n.id not in job.others and n.id != job.assigned]
    return []


class Job(object):
    """One instance's run: spec, plan, what was done (undo stack), outcome."""

    def __init__(self, spec, current, steps):
        self.spec = spec
        self.hostname = spec['hostname']
        self.current = current
        self.steps = steps
        self.undo = []            # (kind, data) in the order done
        self.error = None
        self.aborted = False
        self.started = False
        self.finished = False
        self.cleanup = []         # what clean-up did / failed to do
        self.image_info = None
        self.candidates = None
        self.assigned = None      # the node the matching gives this reservation when several are made
        self.others = set()       # the nodes it gives the other reservations of this run
        self.status_before = instance_status(current)
        # a reservation that existed before this run (Ironic deletes it on undeploy; clean-up restores it)
        self.reserved_before = self.status_before in ('reserved', 'allocating', 'deploy_failed') and \
            current.get('allocation') is not None

    @property
    def node_label(self):
        node = self.current.get('node')
        return node_label(node) if node is not None else None


class Deadline(object):
    """The end of an instance's time: ``seconds`` from now on ``clock``."""

    def __init__(self, clock, seconds):
        self.clock, self.seconds = clock, seconds
        self.at = clock() + seconds

    def remaining(self):
        return max(self.at - self.clock(), 0)


class Aborted(Exception):
    """Another instance failed and clean_up is on: stop waiting."""


# ------------------------------------------------------------------------------------------------
# The service helper
# ------------------------------------------------------------------------------------------------

def _not_found_error():
    return sdk_exceptions.NotFoundException if sdk_exceptions is not None else LookupError


class Baremetal(object):
    """Reads, validates, plans and applies bare-metal instances for one module run."""

    def __init__(self, conn, fetch_url=None, warn=None, clock=time.monotonic, sleep=time.sleep):
        self.conn = conn
        self.bm = conn.baremetal
        self.fetch_url = fetch_url
        self.warn = warn or (lambda msg: None)
        self.clock = clock
        self.sleep = sleep
        self.nodes = None
        self.allocations = None
        self._abort = threading.Event()
        self._checksums = {}
        self._services = {}

    # -- reading --------------------------------------------------------------------------------
    def snapshot(self):
        """Read all visible nodes (details) and allocations once."""
        self.nodes = list(self.bm.nodes(details=True))
        self.allocations = list(self.bm.allocations())
        return self

    def find(self, hostname):
        """{'allocation', 'node'} carrying ``hostname`` (allocation name first, then metalsmith's display_name)."""
        by_id = dict((n.id, n) for n in self.nodes)
        for allocation in self.allocations:
            if allocation.name == hostname:
                return {'allocation': allocation, 'node': by_id.get(allocation.node_id)}
        for node in self.nodes:
            info = node.instance_info or {}
            if info.get(HOSTNAME_FIELD) == hostname and node.instance_id == node.id and not node.allocation_id:
                return {'allocation': None, 'node': node}
        return {'allocation': None, 'node': None}

    def instances(self, hostnames=None):
        """Every instance (allocation name or metalsmith display_name), or those of ``hostnames``."""
        if hostnames:
            found = [(h, self.find(h)) for h in hostnames]
            return [(h, c) for h, c in found if instance_status(c) != 'absent']
        names = [a.name for a in self.allocations if a.name]
        allocated = set(a.node_id for a in self.allocations if a.node_id)
        for node in self.nodes:
            info = node.instance_info or {}
            if info.get(HOSTNAME_FIELD) and node.instance_id == node.id and node.id not in allocated:
                names.append(info[HOSTNAME_FIELD])
        return [(h, self.find(h)) for h in sorted(set(names))]

    def service_available(self, service_type):
        if service_type not in self._services:
            try:
                self._services[service_type] = bool(self.conn.has_service(service_type))
            except (sdk_exceptions.SDKException, ksa_exceptions.ClientException):
                self._services[service_type] = False
        return self._services[service_type]

    def ip_addresses(self, node):
        """{network name: [ip, ...]} of the node's VIFs, or None without a network service."""
        if node is None or not self.service_available('network'):
            return None
        result = {}
        for vif in self.bm.list_node_vifs(node):
            try:
                port = self.conn.network.get_port(vif)
            except _not_found_error():
                continue
            network = self.conn.network.get_network(port.network_id)
            ips = [ip['ip_address'] for ip in port.fixed_ips or [] if ip.get('ip_address')]
            result.setdefault(network.name or network.id, []).extend(ips)
        return result

    # -- validation -----------------------------------------------------------------------------
    def resolve_checksum(self, image):
        """The image's checksum; a checksum URL is downloaded and parsed here (before any write)."""
        checksum = image['checksum']
        if _link_type(checksum) != 'http':
            return checksum
        if checksum not in self._checksums:
            if self.fetch_url is None:
                raise ValueError('cannot download checksum file %s: no HTTP client' % checksum)
            try:
                text = self.fetch_url(checksum)
            except Exception as exc:  # the HTTP client's errors vary (urllib, ansible's open_url)
                raise ValueError('cannot download checksum file %s: %s' % (checksum, exc))
            self._checksums[checksum] = text
        filename = os.path.basename(urlparse(image['href']).path)
        value = parse_checksum_file(self._checksums[checksum], filename)
        if value is None:
            raise ValueError('there is no checksum for %s in %s' % (filename, checksum))
        return value

    def image_info(self, spec):
        """instance_info image keys for ``spec``; raises ValueError with a clear reason."""
        image = spec['image']
        kind = _link_type(image['href'])
        if kind == 'glance':
            if image['checksum'] or image['kernel'] or image['ramdisk']:
                raise ValueError('checksum, kernel and ramdisk cannot be given for a Glance image (%s)' % image['href'])
            if not self.service_available('image'):
                raise ValueError("image '%s' is not an http(s):// or file:// URL and the cloud has no image service "
                                 "(Glance) to look it up" % image['href'])
            found = self.conn.image.find_image(image['href'], ignore_missing=True)
            if found is None:
                raise ValueError("image '%s' not found in the image service" % image['href'])
            return image_instance_info(image, glance_image={
                'id': found.id, 'kernel': getattr(found, 'kernel_id', None), 'ramdisk': getattr(found, 'ramdisk_id', None)})
        for key in ('kernel', 'ramdisk'):
            if image[key] and _link_type(image[key]) != kind:
                raise ValueError('image.%s must be a %s link like image.href' % (key, kind))
        if not image['checksum']:
            raise ValueError('image.checksum is required for HTTP and file images')
        if kind == 'file' and _link_type(image['checksum']) == 'http':
            raise ValueError('image.checksum cannot be a URL for file images')
        return image_instance_info(image, resolved_checksum=self.resolve_checksum(image))

    def check_nics(self, spec):
        """Resolve the NICs' networks/subnets/ports (they must exist) before any write."""
        if not spec['nics']:
            return
        if not self.service_available('network'):
            raise ValueError('nics need the network service (Neutron), which is not in the cloud catalog; '
                             'remove nics to deploy without it')
        for nic in spec['nics']:
            if nic.get('network'):
                self.conn.network.find_network(nic['network'], ignore_missing=False)
            elif nic.get('subnet'):
                self.conn.network.find_subnet(nic['subnet'], ignore_missing=False)
            else:
                self.conn.network.find_port(nic['port'], ignore_missing=False)

    def prepare(self, specs, state):
        """Find, validate and plan every instance; raise one InvalidInput with every problem."""
        if self.nodes is None:
            self.snapshot()
        jobs, problems = [], []
        for spec in specs:
            current = self.find(spec['hostname'])
            status = instance_status(current)
            steps = plan_steps(state, status)
            job = Job(spec, current, steps)
            jobs.append(job)
            if steps is None:
                problems.append(self._transition_problem(job, state, status))
                continue
            problems.extend(self._validate(job, state))
        problems.extend(self._check_capacity(jobs))
        if problems:
            raise InvalidInput('Nothing was changed: ' + '; '.join(problems), problems=problems)
        return jobs

    def _transition_problem(self, job, state, status):
        node = job.current.get('node')
        return ("instance '%s' is on node %s in state '%s' (provision state '%s'): cannot make it %s now; "
                "wait or fix the node first" % (job.hostname, job.node_label, status,
                                                node.provision_state if node is not None else None, state))

    def _validate(self, job, state):
        spec, problems = job.spec, []
        node = job.current.get('node')
        if state == 'absent':
            if 'undeploy' in job.steps and node.is_maintenance:
                problems.append("instance '%s': node %s is in maintenance (%s); Ironic refuses to unprovision it"
                                % (job.hostname, job.node_label, node.maintenance_reason or 'no reason given'))
            return problems
        if node is not None and spec['candidates'] and not (set(spec['candidates']) & {node.id, node.name}):
            problems.append("instance '%s' is already on node %s, which is not among the requested candidates %s; "
                            "unprovision it first" % (job.hostname, job.node_label, ', '.join(spec['candidates'])))
        if 'reserve' in job.steps:
            job.candidates, problem = candidate_nodes(spec, self.nodes)
            if problem:
                problems.append("instance '%s': %s" % (job.hostname, problem))
        if 'provision' in job.steps:
            if node is not None and node.is_maintenance:
                problems.append("instance '%s': node %s is in maintenance (%s)"
                                % (job.hostname, job.node_label, node.maintenance_reason or 'no reason given'))
            try:
                job.image_info = self.image_info(spec)
                self.check_nics(spec)
            except ValueError as exc:
                problems.append("instance '%s': %s" % (job.hostname, exc))
            except _not_found_error() as exc:
                problems.append("instance '%s': %s" % (job.hostname, exc))
        return problems

    def _check_capacity(self, jobs):
        demands = [(j.hostname, [n.id for n in j.candidates]) for j in jobs if j.candidates]
        placed = assign_nodes(demands)
        short = [hostname for hostname, dummy in demands if hostname not in placed]
        if not short:
            if len(demands) > 1:
                # Ironic picks any matching node: a loose request could take the only node a narrower one
                # can use. Each reservation first asks for the node the matching gave it.
                for job in jobs:
                    if job.hostname in placed:
                        job.assigned = placed[job.hostname]
                        job.others = set(placed.values()) - {job.assigned}
            return []
        return ['not enough available nodes for every new instance: no node left for %s after the others are '
                'placed (%d instance(s) to reserve, %d matching node(s))'
                % (', '.join(short), len(demands), len(set(i for dummy, ids in demands for i in ids)))]

    # -- applying -------------------------------------------------------------------------------
    def apply(self, jobs, state, wait, timeout, concurrency=0, clean_up=True):
        """Run the jobs with writes in threads; on failure undo (clean_up) and raise one error."""
        todo = [j for j in jobs if j.steps]
        if not todo:
            return jobs
        workers = min(len(todo), concurrency if concurrency and concurrency > 0 else len(todo))
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
        deadline = Deadline(self.clock, timeout)
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

    def _get_node(self, node_id):
        return self.bm.get_node(node_id)

    def _set_provision_state(self, node_id, target, config_drive=None):
        """One PUT (the SDK's set_node_provision_state GETs the node after it; the waits poll anyway)."""
        body, microversion = {'target': target}, None
        if config_drive is not None:
            body['configdrive'] = config_drive
            microversion = CONFIG_DRIVE_DICT_VERSION
        response = self.bm.put('/nodes/%s/states/provision' % node_id, json=body, microversion=microversion,
                               retriable_status_codes=RETRIABLE_STATUS_CODES)
        sdk_exceptions.raise_from_response(
            response, error_message='Failed to set provision state of node %s to %s' % (node_id, target))

    def _get_allocation_or_none(self, allocation_id):
        try:
            return self.bm.get_allocation(allocation_id)
        except _not_found_error():
            return None

    def _wait(self, fetch, done, failed, deadline, what, describe):
        """wait_for with the instance's deadline; the timeout message names the instance's timeout."""
        try:
            return wait_for(fetch, done, failed, timeout=deadline.remaining(), what=what, describe=describe,
                            sleep=self.sleep, clock=self.clock)
        except WaitTimeout as exc:
            status = exc.details.get('status')
            raise WaitTimeout('Timed out after %ss waiting for %s; last state: %s' % (deadline.seconds, what, status),
                              status=status)

    def _wait_allocation(self, allocation, hostname, deadline, abortable=True):
        def getter():
            return self.bm.get_allocation(allocation.id)
        return self._wait(self._fetcher(getter) if abortable else getter, lambda a: a.state == 'active',
                          lambda a: (a.last_error or 'no reason given') if a.state == 'error' else None,
                          deadline, "the reservation of '%s'" % hostname, lambda a: a.state)

    def _wait_node(self, node_id, wanted, failures, deadline, what, abortable=True):
        def failed(node):
            if node.provision_state in failures:
                return '%s: %s' % (node.provision_state, node.last_error or 'no reason given')
            return None

        def getter():
            return self._get_node(node_id)
        return self._wait(self._fetcher(getter) if abortable else getter, lambda n: n.provision_state in wanted,
                          failed, deadline, what, lambda n: n.provision_state)

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
        for attempt in range(1, RESERVE_ATTEMPTS + 1):
            kwargs.pop('candidate_nodes', None)
            candidates = reserve_candidates(job, attempt)
            if candidates or narrowed:
                kwargs['candidate_nodes'] = candidates or [n.id for n in job.candidates]
            allocation = self.bm.create_allocation(**kwargs)
            job.undo.append(('allocation', allocation.id))
            try:
                allocation = self._wait_allocation(allocation, job.hostname, deadline)
                break
            except ResourceFailed as exc:
                # another client took the node between our read and the allocation: try again (bounded)
                self.bm.delete_allocation(allocation.id, ignore_missing=True)
                job.undo.remove(('allocation', allocation.id))
                if attempt == RESERVE_ATTEMPTS or not any(m in exc.msg for m in RETRY_RESERVE_ON):
                    raise ResourceFailed("Reserving a node for '%s' failed: %s" % (job.hostname, exc.msg))
        job.current = {'allocation': allocation, 'node': self._get_node(allocation.node_id)}

    def _step_wait_allocation(self, job, deadline):
        allocation = self._wait_allocation(job.current['allocation'], job.hostname, deadline)
        job.current = {'allocation': allocation, 'node': self._get_node(allocation.node_id)}

    def _step_provision(self, job, deadline):
        node = job.current['node']
        if node.is_maintenance:
            raise ResourceFailed("node %s is in maintenance (%s)" % (node_label(node), node.maintenance_reason))
        network_data = self._attach_nics(job, node) if job.spec['nics'] else None
        info = build_instance_info(job.spec, node, job.image_info)
        job.undo.append(('instance_info', node.id))
        node = self.bm.patch_node(node, [{'op': 'add', 'path': '/instance_info', 'value': info}])
        drive = render_config_drive(job.spec, node, network_data)
        job.undo.append(('deploy', node.id))
        self._set_provision_state(node.id, 'active', config_drive=drive)

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
        self._detach_nics(node)
        self._set_provision_state(node.id, 'deleted')

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

    # NICs (need Neutron; metalsmith records them in node.extra)
    def _attach_nics(self, job, node):
        created, attached = [], []
        net = self.conn.network
        for nic in job.spec['nics']:
            if nic.get('port'):
                port = net.find_port(nic['port'], ignore_missing=False)
            else:
                if nic.get('subnet'):
                    subnet = net.find_subnet(nic['subnet'], ignore_missing=False)
                    network_id, fixed_ips = subnet.network_id, [{'subnet_id': subnet.id}]
                else:
                    network = net.find_network(nic['network'], ignore_missing=False)
                    network_id = network.id
                    fixed_ips = [{'ip_address': nic['fixed_ip']}] if nic.get('fixed_ip') else None
                kwargs = dict(network_id=network_id, name='%s-%s' % (job.hostname, network_id[:8]))
                if fixed_ips:
                    kwargs['fixed_ips'] = fixed_ips
                port = net.create_port(**kwargs)
                created.append(port.id)
                job.undo.append(('port', port.id))
            self.bm.attach_vif_to_node(node, port.id)
            attached.append(port.id)
            job.undo.append(('vif', (node.id, port.id)))
        extra = dict(node.extra or {})
        extra[CREATED_PORTS], extra[ATTACHED_PORTS] = created, attached
        self.bm.patch_node(node, [{'op': 'add', 'path': '/extra', 'value': extra}])
        return None

    def _detach_nics(self, node):
        extra = node.extra or {}
        attached, created = extra.get(ATTACHED_PORTS) or [], extra.get(CREATED_PORTS) or []
        if not (attached or created):
            return
        for port_id in attached:
            self.bm.detach_vif_from_node(node, port_id, ignore_missing=True)
        for port_id in created:
            self.conn.network.delete_port(port_id, ignore_missing=True)
        extra = dict((k, v) for k, v in extra.items() if k not in (CREATED_PORTS, ATTACHED_PORTS))
        self.bm.patch_node(node, [{'op': 'add', 'path': '/extra', 'value': extra}])

    # -- clean-up -------------------------------------------------------------------------------
    def _clean_up(self, jobs, timeout):
        cleanup_timeout = max(timeout, CLEANUP_MIN_TIMEOUT)
        with futures.ThreadPoolExecutor(max_workers=len(jobs) or 1) as pool:
            futures.wait([pool.submit(self._undo_job, job, cleanup_timeout) for job in jobs])

    def _undo_job(self, job, timeout):
        deadline = Deadline(self.clock, timeout)
        undeployed = False
        for kind, data in reversed(job.undo):
            try:
                undeployed = self._undo(kind, data, job, deadline, undeployed) or undeployed
            except Exception as exc:  # reported in the failure message, never hidden
                job.cleanup.append('failed to undo %s %s: %s' % (kind, data, exc))
                return

    def _undo(self, kind, data, job, deadline, undeployed):
        if kind == 'deploy':
            node = self._wait_node(data, STABLE_AFTER_DEPLOY + ('available',), (), deadline,
                                   'node %s to finish deploying before clean-up' % data, abortable=False)
            if node.provision_state in UNDEPLOYABLE_STATES:
                self._set_provision_state(node.id, 'deleted')
                node = self._wait_node(data, ('available',), ('error', 'clean failed'), deadline,
                                       'node %s to be unprovisioned' % data, abortable=False)
            job.cleanup.append('unprovisioned node %s (now %s)' % (node_label(node), node.provision_state))
            if job.reserved_before:
                self._restore_reservation(job, node, deadline)
            return True
        if kind == 'vif':
            self.bm.detach_vif_from_node(data[0], data[1], ignore_missing=True)
        elif kind == 'port':
            self.conn.network.delete_port(data, ignore_missing=True)
        elif kind == 'instance_info' and not undeployed:
            self.bm.patch_node(data, [{'op': 'add', 'path': '/instance_info', 'value': {}}])
        elif kind == 'allocation':
            allocation = self._get_allocation_or_none(data)
            if allocation is not None:
                if allocation.state == 'allocating':
                    # deleting it while Ironic still allocates would race with Ironic's allocation thread
                    self._wait(lambda: self.bm.get_allocation(data), lambda a: a.state != 'allocating', None,
                               deadline, 'reservation %s to settle before clean-up' % data, lambda a: a.state)
                self.bm.delete_allocation(data, ignore_missing=True)
                job.cleanup.append('released reservation %s' % data)
        return False

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
        error_cls = WaitTimeout if all(isinstance(j.error, WaitTimeout) for j in failed) else ResourceFailed
        return error_cls(msg, failed_instances=[j.hostname for j in failed])

    # -- reporting ------------------------------------------------------------------------------
    def refresh(self, job):
        """Re-read a job's node/allocation after it ran (the returned view is the real state)."""
        current = dict(job.current)
        if current.get('node') is not None:
            current['node'] = self._get_node(current['node'].id)
            if current['node'].allocation_id:
                current['allocation'] = self._get_allocation_or_none(current['node'].allocation_id)
            elif current.get('allocation') is not None:
                current['allocation'] = self._get_allocation_or_none(current['allocation'].id)
        return current
