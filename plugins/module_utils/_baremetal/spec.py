# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the user asks for: the instance list normalised once, at the module's boundary.

``DesiredInstances.from_params`` turns the module's options into plain values and one normalised dict per
instance (metalsmith_instances format: hostname, candidates, resource class, traits, capabilities, image,
NICs, config drive data); nothing past this file sees the raw Ansible parameters.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.configdrive import (
    check_size, normalize_config_drive,
)
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput

HOSTNAME_FIELD = 'display_name'          # metalsmith's instance_info key for the hostname
DEFAULT_RESOURCE_CLASS = 'baremetal'
SECRET_PREFIX = 'secret_'                 # config_drive.secret_cloud_config, config_drive.secret_meta_data

_HOSTNAME_RE = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$', re.I)


def is_hostname_safe(hostname):
    return isinstance(hostname, str) and 0 < len(hostname) <= 255 and bool(_HOSTNAME_RE.match(hostname))


def link_type(link):
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


def merge_config_drive_secrets(config_drive):
    """``config_drive`` with its ``secret_cloud_config``/``secret_meta_data`` (no_log suboptions, so Ansible
    masks their values in the Invoked-with log line and in ``invocation``) merged into ``cloud_config`` /
    ``meta_data``. A key in both fails, naming the key only (never a value)."""
    config_drive = dict(config_drive or {})
    merged = {}
    for key in ('cloud_config', 'meta_data'):
        plain, secret = config_drive.get(key), config_drive.get(SECRET_PREFIX + key)
        for name, value in ((key, plain), (SECRET_PREFIX + key, secret)):
            if value is not None and not isinstance(value, dict):
                raise ValueError('config_drive.%s must be a dict' % name)
        if secret:
            both = sorted(set(plain or {}) & set(secret))
            if both:
                raise ValueError('a key is set in both config_drive.%s and config_drive.%s%s: %s'
                                 % (key, SECRET_PREFIX, key, ', '.join(str(k) for k in both)))
            plain = dict(plain or {})
            plain.update(secret)
        merged[key] = plain
    return merged


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
    config_drive = merge_config_drive_secrets(spec.get('config_drive'))
    user_data, network_data = normalize_config_drive((spec.get('config_drive') or {}).get('user_data'),
                                                     (spec.get('config_drive') or {}).get('network_data'))
    keys = spec.get('ssh_public_keys') or []
    if isinstance(keys, str):
        keys = [keys]
    capabilities = spec.get('capabilities') or {}
    if not isinstance(capabilities, dict):
        raise ValueError('capabilities must be a dict')
    # required to deploy, which the plan knows: an instance already deployed (or deploying) needs none
    image = normalize_image(spec.get('image'))
    nics = list(spec.get('nics') or [])
    for nic in nics:
        kinds = [k for k in ('network', 'subnet', 'port') if nic.get(k)]
        if len(kinds) != 1:
            raise ValueError('each nic needs exactly one of network, subnet or port: %r' % (nic,))
        if nic.get('fixed_ip') and kinds != ['network']:
            raise ValueError('fixed_ip is only valid with network: %r' % (nic,))
    normalized = dict(
        index=index, hostname=hostname, name=spec.get('name'), candidates=candidates,
        resource_class=spec.get('resource_class') or DEFAULT_RESOURCE_CLASS,
        traits=sorted(set(spec.get('traits') or [])),
        capabilities=dict((str(k), str(v)) for k, v in capabilities.items()),
        conductor_group=spec.get('conductor_group'),
        image=image, nics=nics, root_size_gb=spec.get('root_size_gb'), swap_size_mb=spec.get('swap_size_mb'),
        netboot=bool(spec.get('netboot')), ssh_public_keys=list(keys), user_name=spec.get('user_name'),
        passwordless_sudo=True if spec.get('passwordless_sudo') is None else bool(spec.get('passwordless_sudo')),
        cloud_config=config_drive.get('cloud_config'), meta_data=config_drive.get('meta_data'),
        user_data=user_data, network_data=network_data,
    )
    if state == 'present':
        check_size(normalized)   # the config drive must fit in Ironic before anything is reserved
    return normalized


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


class DesiredInstances(object):
    """The task: the normalised instances and how to bring them to ``state``.

    ``timeout`` is each instance's own budget (one ``_wait.Deadline`` per instance, made when the executor
    starts on it); ``concurrency`` 0 means all instances at once.
    """

    def __init__(self, specs, state='present', wait=True, timeout=3600, concurrency=0, clean_up=True):
        self.specs, self.state, self.wait = specs, state, wait
        self.timeout, self.concurrency, self.clean_up = timeout, concurrency, clean_up

    @classmethod
    def from_params(cls, params):
        """The module's options, once; raises InvalidInput naming every bad instance."""
        return cls(normalize_instances(params['instances'], params['state']), state=params['state'],
                   wait=params['wait'], timeout=params['timeout'], concurrency=params['concurrency'],
                   clean_up=params['clean_up'])
