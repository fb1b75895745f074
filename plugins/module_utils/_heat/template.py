# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired stack's inputs: template, environment and files (openstacksdk's ``template_utils``), tags, and
the environment normalisation and hidden-parameter digests the comparison needs.

Hidden parameters: Heat masks them (``******``) in every read. To stay idempotent without reading them
back, each write stores a salted PBKDF2 digest of the hidden values in the stack environment's
``parameter_defaults`` under ``HIDDEN_DIGEST_KEY`` (an unused parameter default, which Heat accepts and
ignores); a later run recomputes the digest with the stored salt and compares. A stack written by
another tool has no digest: a hidden value the module cannot verify counts as a change (one update,
which stores the digest)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib
import json
import math
import os
from urllib.parse import urljoin

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import sdk_error_text

try:
    from openstack import exceptions as sdk_exceptions
    from openstack.orchestration.util import environment_format, template_format, template_utils
    from openstack.orchestration.util import utils as heat_utils
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = template_utils = template_format = environment_format = heat_utils = None

HIDDEN_DIGEST_KEY = 'cloudrise_hidden_parameters_digest'
DIGEST_ITERATIONS = 100000


def _file_url(path):
    return heat_utils.normalise_file_path_to_url(path)


def _base_url(url):
    base = heat_utils.base_url_for_url(url)
    return base if base.endswith('/') else base + '/'


def _seed_files(extra_files, base_url):
    """The user's extra files keyed as template_utils resolves references relative to ``base_url``."""
    seeded = {}
    for name, content in (extra_files or {}).items():
        if not isinstance(content, str):
            content = json.dumps(content)
        seeded[urljoin(base_url, name)] = content
    return seeded


def parse_template_text(text, source):
    try:
        return template_format.parse(text)
    except (ValueError, TypeError) as exc:
        raise InvalidInput('Cannot parse the template %s: %s' % (source, exc))


def load_template(template=None, template_content=None, template_url=None, files=None, cwd=None):
    """Read the desired template and the files it references, as openstacksdk's template_utils does.

    Returns ``(template_dict, files_dict)``. ``get_file`` and nested template references are resolved
    relative to the template file (or URL); for inline content relative to ``cwd``. ``files`` (name ->
    content) provides contents for references instead of reading them.
    """
    cwd = cwd or os.getcwd()
    try:
        if template is not None:
            path = os.path.abspath(os.path.expanduser(template))
            if not os.path.isfile(path):
                raise InvalidInput('Template file not found: %s' % template)
            url = _file_url(path)
            seeded = _seed_files(files, _base_url(url))
            tpl_files, tpl = template_utils.get_template_contents(template_file=path, files=seeded)
        elif template_url is not None:
            seeded = _seed_files(files, _base_url(template_url))
            tpl_files, tpl = template_utils.get_template_contents(template_url=template_url, files=seeded)
        elif template_content is not None:
            if isinstance(template_content, str):
                tpl = parse_template_text(template_content, '(template_content)')
            elif isinstance(template_content, dict):
                tpl = copy.deepcopy(template_content)
                if not any(k in tpl for k in ('heat_template_version', 'HeatTemplateFormatVersion',
                                              'AWSTemplateFormatVersion')):
                    raise InvalidInput('template_content has no heat_template_version (not a Heat template)')
            else:
                raise InvalidInput('template_content must be a dict or a YAML/JSON string')
            base = _base_url(_file_url(os.path.join(cwd, 'template_content.yaml')))
            tpl_files = _seed_files(files, base)
            template_utils.resolve_template_get_files(tpl, tpl_files, base)
        else:
            return None, {}
    except InvalidInput:
        raise
    except sdk_exceptions.SDKException as exc:
        text = sdk_error_text(exc)
        if text.startswith('Error parsing template'):
            raise InvalidInput('Cannot parse the template: %s' % text)
        raise InvalidInput('Cannot read the template or a file it references: %s' % text)
    except (OSError, ValueError) as exc:
        raise InvalidInput('Cannot read the template or a file it references: %s' % exc)
    return json.loads(json.dumps(tpl, default=str)), tpl_files


def load_environment(paths=None, content=None, cwd=None):
    """Merge environment files (in order) and then inline content; returns ``(environment, files)``."""
    cwd = cwd or os.getcwd()
    env, env_files = {}, {}
    try:
        if paths:
            for path in paths:
                if '://' not in path and not os.path.isfile(os.path.expanduser(path)):
                    raise InvalidInput('Environment file not found: %s' % path)
            env_files, env = template_utils.process_multiple_environments_and_files(
                env_paths=[os.path.expanduser(p) if '://' not in p else p for p in paths])
        if content is not None:
            if isinstance(content, str):
                try:
                    inline = environment_format.parse(content)
                except ValueError as exc:
                    raise InvalidInput('Cannot parse environment_content: %s' % exc)
            elif isinstance(content, dict):
                inline = copy.deepcopy(content)
                bad = [k for k in inline if k not in environment_format.SECTIONS]
                if bad:
                    raise InvalidInput('environment_content has unknown section(s): %s' % ', '.join(sorted(bad)))
            else:
                raise InvalidInput('environment_content must be a dict or a YAML string')
            base = _base_url(_file_url(os.path.join(cwd, 'environment_content.yaml')))
            template_utils.resolve_environment_urls(inline.get('resource_registry'), env_files, base)
            env = template_utils.deep_update(env, inline)
    except InvalidInput:
        raise
    except sdk_exceptions.SDKException as exc:
        raise InvalidInput('Cannot read an environment or a file it references: %s' % sdk_error_text(exc))
    except (OSError, ValueError) as exc:
        raise InvalidInput('Cannot read an environment or a file it references: %s' % exc)
    return json.loads(json.dumps(env, default=str)), env_files


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


def make_digest(values, salt=None, iterations=DIGEST_ITERATIONS):
    """A salted PBKDF2-SHA256 digest of the hidden values: ``pbkdf2-sha256$<iterations>$<salt>$<digest>``."""
    salt = salt if salt is not None else base64.b64encode(os.urandom(12)).decode('ascii')
    data = json.dumps(values, sort_keys=True, default=str).encode('utf-8')
    digest = hashlib.pbkdf2_hmac('sha256', data, salt.encode('ascii'), iterations)
    return 'pbkdf2-sha256$%d$%s$%s' % (iterations, salt, base64.b64encode(digest).decode('ascii'))


def digest_matches(values, stored):
    """True when ``stored`` (a digest made by make_digest) is the digest of ``values``."""
    try:
        scheme, iterations, salt, _digest = str(stored).split('$', 3)
        iterations = int(iterations)
    except ValueError:
        return False
    if scheme != 'pbkdf2-sha256' or not 1000 <= iterations <= 10000000:
        return False
    return make_digest(values, salt, iterations) == stored


def redact_hidden(params, hidden):
    return dict((k, REDACTED if k in hidden and v is not None else v) for k, v in (params or {}).items())


def timeout_minutes(timeout):
    return max(1, int(math.ceil(timeout / 60.0)))
