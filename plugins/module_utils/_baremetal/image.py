# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a node is given to deploy: checksum files and digests, the image keys and the whole instance_info.

Pure functions; ``api.BaremetalApi.image_info`` does the reads (checksum URL, Glance) and calls these.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.matching import node_label, parse_capabilities
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.spec import HOSTNAME_FIELD
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput

_HEX_RE = re.compile(r'^[0-9a-fA-F]+$')
_ALGO_BY_LENGTH = {32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512'}


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
