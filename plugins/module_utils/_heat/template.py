# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired stack's inputs: reading them (``reader.py``, re-exported here), tags, and the environment
normalisation and hidden-parameter digests the comparison needs.

Hidden parameters: Heat masks them (``******``) in every read. To stay idempotent without reading them
back, each write stores a digest of the hidden values in the stack environment's ``parameter_defaults``
under ``HIDDEN_DIGEST_KEY`` (an unused parameter default, which Heat accepts and ignores); a later run
recomputes the digest with the stored salt and compares. The digest is an HMAC-SHA256 with the user's
key, else scrypt (``SCRYPT_COST``); digests of the first versions (PBKDF2-SHA256) are still read. The cost
a stored digest claims is capped (a project member can write any digest). A stack written by another
tool has no digest: a hidden value the module cannot verify counts as a change (one update, which
stores the digest)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib
import hmac
import json
import math
import os
import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.reader import (
    MAX_FILE_BYTES, MAX_TOTAL_BYTES, TemplateReader, load_environment, load_template, read_inputs)

__all__ = [  # the reader's names stay importable from here, where the Heat modules have always found them
    'MAX_FILE_BYTES', 'MAX_TOTAL_BYTES', 'TemplateReader', 'load_environment', 'load_template', 'read_inputs',
    'HIDDEN_DIGEST_KEY', 'SCRYPT_COST', 'SCRYPT_MAX_MEMORY', 'PBKDF2_ITERATIONS', 'PBKDF2_MAX_ITERATIONS',
    'normalize_tags', 'normalize_environment', 'hidden_parameter_names', 'hidden_values', 'make_digest',
    'digest_matches', 'redact_hidden', 'timeout_minutes']

HIDDEN_DIGEST_KEY = 'cloudrise_hidden_parameters_digest'
SCRYPT_COST = (2 ** 15, 8, 1)          # n, r, p: 32 MiB of memory and about 0.1 s per digest
SCRYPT_MAX_MEMORY = 32 * 1024 * 1024   # 128 * n * r accepted from a stored digest
PBKDF2_ITERATIONS = 600000             # only where hashlib has no scrypt
PBKDF2_MAX_ITERATIONS = 1000000        # accepted from a stored digest (the first versions wrote 100000)
_SALT_RE = re.compile(r'^[A-Za-z0-9+/=]{1,64}$')


def normalize_tags(tags):
    """Tags from a comma-separated string or a list, as a sorted list without blanks; None stays None."""
    if tags is None:
        return None
    if isinstance(tags, str):
        tags = tags.split(',')
    out = []
    for tag in tags:
        tag = str(tag).strip()
        if not tag:
            continue
        if ',' in tag:
            raise InvalidInput("A stack tag cannot contain a comma: '%s'" % tag)
        if tag not in out:
            out.append(tag)
    return sorted(out)


def normalize_environment(env):
    """Drop what Heat adds (empty sections, self-mapped nested templates) and the module's digest key."""
    env = copy.deepcopy(env or {})
    registry = env.get('resource_registry')
    if isinstance(registry, dict):
        if not registry.get('resources'):
            registry.pop('resources', None)
        # Heat registers each nested template referenced by a ``type:`` URL as a mapping to itself
        for key in [k for k, v in registry.items() if isinstance(v, str) and k == v]:
            registry.pop(key)
    defaults = env.get('parameter_defaults')
    if isinstance(defaults, dict):
        defaults.pop(HIDDEN_DIGEST_KEY, None)
    env.pop('encrypted_param_names', None)
    return dict((k, v) for k, v in env.items() if v not in (None, {}, []))


def hidden_parameter_names(template):
    """Names of the template's hidden parameters (HOT ``hidden: true``, CFN ``NoEcho``)."""
    names = set()
    for section, flag in (('parameters', 'hidden'), ('Parameters', 'NoEcho')):
        for name, schema in ((template or {}).get(section) or {}).items():
            if isinstance(schema, dict) and str(schema.get(flag, '')).lower() == 'true':
                names.add(name)
    return names


def hidden_values(env, hidden):
    """{'<section>.<name>': value} for hidden parameters set in the environment's parameter sections."""
    values = {}
    for section in ('parameters', 'parameter_defaults'):
        for name, value in (env.get(section) or {}).items():
            if name in hidden:
                values['%s.%s' % (section, name)] = value
    return values


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def make_digest(values, key=None, salt=None, iterations=None, cost=None):
    """A salted digest of the hidden values, ``$``-separated with its scheme and cost.

    ``key`` (the user's secret): ``hmac-sha256$<salt>$<mac>``; without: ``scrypt$<n>$<r>$<p>$<salt>$<hash>``
    (``cost`` = (n, r, p), default SCRYPT_COST). ``iterations``: the PBKDF2-SHA256 digest of the first
    versions, ``pbkdf2-sha256$<iterations>$<salt>$<hash>``, kept to verify the digests they stored.
    """
    salt = salt if salt is not None else _b64(os.urandom(12))
    data = json.dumps(values, sort_keys=True, default=str).encode('utf-8')
    if iterations is None and key is None and not hasattr(hashlib, 'scrypt'):  # pragma: no cover - rare builds
        iterations = PBKDF2_ITERATIONS
    if iterations is not None:
        digest = hashlib.pbkdf2_hmac('sha256', data, salt.encode('ascii'), iterations)
        return 'pbkdf2-sha256$%d$%s$%s' % (iterations, salt, _b64(digest))
    if key is not None:
        key = key.encode('utf-8') if isinstance(key, str) else key
        mac = hmac.new(key, salt.encode('ascii') + b'$' + data, hashlib.sha256).digest()
        return 'hmac-sha256$%s$%s' % (salt, _b64(mac))
    n, r, p = cost or SCRYPT_COST
    digest = hashlib.scrypt(data, salt=salt.encode('ascii'), n=n, r=r, p=p, dklen=32,
                            maxmem=2 * SCRYPT_MAX_MEMORY + 128 * r * p)
    return 'scrypt$%d$%d$%d$%s$%s' % (n, r, p, salt, _b64(digest))


def _stored_cost(parts):
    """The digest arguments a stored digest claims, None when malformed or beyond the caps."""
    scheme = parts[0]
    if scheme == 'hmac-sha256' and len(parts) == 3:
        return dict(salt=parts[1])
    if scheme == 'scrypt' and len(parts) == 6:
        n, r, p = (int(v) for v in parts[1:4])
        if n < 2 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 4 or 128 * n * r > SCRYPT_MAX_MEMORY:
            return None
        return dict(salt=parts[4], cost=(n, r, p))
    if scheme == 'pbkdf2-sha256' and len(parts) == 4:
        iterations = int(parts[1])
        return dict(salt=parts[2], iterations=iterations) if 1000 <= iterations <= PBKDF2_MAX_ITERATIONS else None
    return None


def digest_matches(values, stored, key=None):
    """True when ``stored`` (a digest made by make_digest) is the digest of ``values``.

    An HMAC digest needs the same ``key``. A digest that claims a cost beyond the caps (at most
    PBKDF2_MAX_ITERATIONS, scrypt memory SCRYPT_MAX_MEMORY and p <= 4) is not computed and does not match.
    """
    parts = str(stored).split('$')
    try:
        args = _stored_cost(parts)
    except ValueError:
        return False
    if args is None or not _SALT_RE.match(args['salt']) or parts[0] == 'hmac-sha256' and key is None:
        return False
    if parts[0] == 'hmac-sha256':
        args['key'] = key
    return hmac.compare_digest(make_digest(values, **args).encode('utf-8'), str(stored).encode('utf-8'))


def redact_hidden(params, hidden):
    return dict((k, REDACTED if k in hidden and v is not None else v) for k, v in (params or {}).items())


def timeout_minutes(timeout):
    return max(1, int(math.ceil(timeout / 60.0)))
