# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired stack's inputs: template, environment and files, tags, and the environment normalisation
and hidden-parameter digests the comparison needs.

Reading (``TemplateReader``): the template, the environment files and every file they reference are read
as openstacksdk's ``template_utils`` does (the same ``file://``/``https://`` keys in the files map, nested
templates sent as JSON), with limits: a local reference (``get_file``, a nested template ``type:``, a
``resource_registry`` entry) must be under the allowed directory tree (``files_root``, else the
template's directory, the working directory for inline content, and for an environment file also its
own directory; a template or environment from a URL reads no local file); only ``file``, ``http`` and
``https`` URLs; each document at most ``MAX_FILE_BYTES``, all together at most ``MAX_TOTAL_BYTES``; YAML
aliases may add at most ``ALIAS_EXTRA_NODES`` nodes (or as many as the document has); downloads use the
task's TLS options and end by the task's deadline.

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
import socket
import ssl
import stat
import threading
from urllib import error as urllib_error
from urllib import parse as urllib_parse
from urllib import request as urllib_request

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline

try:
    import yaml
    from openstack.orchestration.util import environment_format, template_format, template_utils
except ImportError:  # pragma: no cover - the base reports the missing SDK
    yaml = template_utils = template_format = environment_format = None

HIDDEN_DIGEST_KEY = 'cloudrise_hidden_parameters_digest'
SCRYPT_COST = (2 ** 15, 8, 1)          # n, r, p: 32 MiB of memory and about 0.1 s per digest
SCRYPT_MAX_MEMORY = 32 * 1024 * 1024   # 128 * n * r accepted from a stored digest
PBKDF2_ITERATIONS = 600000             # only where hashlib has no scrypt
PBKDF2_MAX_ITERATIONS = 1000000        # accepted from a stored digest (the first versions wrote 100000)
MAX_FILE_BYTES = 1024 * 1024           # each template, environment and file (Heat's max_template_size: 512 KiB)
MAX_TOTAL_BYTES = 10 * MAX_FILE_BYTES  # everything one task reads
ALIAS_EXTRA_NODES = 10000              # YAML nodes aliases may add beyond the document's own (or as many as it has)
URL_SCHEMES = ('file', 'http', 'https')
_SALT_RE = re.compile(r'^[A-Za-z0-9+/=]{1,64}$')


# -- YAML with bounded aliases --------------------------------------------------------------------------------

def _check_aliases(node, source):
    """Refuse a document whose aliases expand it by more than ALIAS_EXTRA_NODES (or its own size) nodes."""
    sizes, active = {}, set()

    def size(current):
        key = id(current)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InvalidInput('The YAML of %s refers to itself through an alias (a recursive document)' % source)
        active.add(key)
        if isinstance(current, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in current.value)
        else:
            total = 1
        active.discard(key)
        sizes[key] = total
        return total

    expanded, own = size(node), len(sizes)
    if expanded - own > max(ALIAS_EXTRA_NODES, own):
        raise InvalidInput('The YAML aliases of %s expand it from %d to %d nodes: aliases may add at most %d nodes '
                           '(or as many as the document has)' % (source, own, expanded, max(ALIAS_EXTRA_NODES, own)))


def _limited_loader(base):
    class Loader(base):
        source = 'the document'

        def construct_document(self, node):
            _check_aliases(node, self.source)
            return super(Loader, self).construct_document(node)
    return Loader


def _yaml_load(text, base, fallback, source):
    """``yaml.load`` as openstacksdk's parsers do (``fallback`` for a readable error), aliases bounded."""
    loader = _limited_loader(base)
    loader.source = source
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        loader = _limited_loader(fallback)
        loader.source = source
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise ValueError(exc)


def parse_template(text, source='the template'):
    """openstacksdk's ``template_format.parse`` with bounded aliases; ValueError when it is no template."""
    text = text.strip()
    if text.startswith('{'):
        tpl = json.loads(text)
    else:
        tpl = _yaml_load(text, template_format.HeatYamlLoader, yaml.SafeLoader, source)
        tpl = {} if tpl is None else tpl
    if not isinstance(tpl, dict) or not any(
            k in tpl for k in ('HeatTemplateFormatVersion', 'heat_template_version', 'AWSTemplateFormatVersion')):
        raise ValueError('Template format version not found.')
    return tpl


def parse_environment(text, source='the environment'):
    """openstacksdk's ``environment_format.parse`` with bounded aliases."""
    env = _yaml_load(text, template_format.yaml_loader, yaml.SafeLoader, source)
    if env is None:
        env = {}
    elif not isinstance(env, dict):
        raise ValueError('The environment is not a valid YAML mapping data type.')
    for section in env:
        if section not in environment_format.SECTIONS:
            raise ValueError('environment has wrong section "%s"' % section)
    return env


def parse_template_text(text, source='(template_content)'):
    try:
        return parse_template(text, source)
    except (ValueError, TypeError) as exc:
        raise InvalidInput('Cannot parse the template %s: %s' % (source, exc))


def _as_template(content, source):
    """The parsed template when ``content`` is one (openstacksdk's ``is_template``), else None."""
    try:
        return parse_template(content, source) if isinstance(content, str) else None
    except (ValueError, TypeError):
        return None


# -- reading files and URLs -----------------------------------------------------------------------------------

def display_url(url):
    """The URL without user info and query (they may hold credentials or a signature), for messages."""
    parts = urllib_parse.urlsplit(url)
    if not parts.scheme:
        return url
    return urllib_parse.urlunsplit((parts.scheme, parts.netloc.rpartition('@')[2], parts.path, '', ''))


def file_url(path):
    return urllib_parse.urljoin('file:', urllib_request.pathname2url(os.path.abspath(path)))


def base_url(url):
    parsed = urllib_parse.urlparse(url)
    base = urllib_parse.urljoin(url, os.path.dirname(parsed.path))
    return base if base.endswith('/') else base + '/'


def _local_path(url):
    return urllib_request.url2pathname(urllib_parse.urlparse(url).path)


def _root_of(url):
    """The directory tree a local document may read from by default; None for a document from a URL."""
    return os.path.realpath(os.path.dirname(_local_path(url))) if url.startswith('file:') else None


class TemplateReader(object):
    """Reads templates, environments and what they reference, within the limits (see the module docstring).

    ``files_root``: the one directory tree local references may read (default: per document, see
    ``roots``). ``deadline``: the task's ``_wait.Deadline``; every download ends by it. ``tls``: the task's
    ``validate_certs``, ``ca_cert``, ``client_cert`` and ``client_key`` for ``https`` downloads.
    """

    def __init__(self, files_root=None, deadline=None, tls=None, max_file=MAX_FILE_BYTES, max_total=MAX_TOTAL_BYTES):
        self.files_root = os.path.realpath(os.path.expanduser(files_root)) if files_root else None
        self.deadline = deadline if deadline is not None else Deadline(3600)
        self.tls = dict(tls or {})
        self.max_file, self.max_total = max_file, max_total
        self.total = 0
        self.template_root = None

    def roots(self, *defaults):
        """The allowed trees of a document: ``files_root`` when set, else the given defaults that exist."""
        if self.files_root:
            return (self.files_root,)
        return tuple(r for r in defaults if r)

    def _count(self, size, url):
        if size > self.max_file:
            raise InvalidInput('%s is larger than %d bytes (%d): each template, environment and file may have at '
                               'most %d bytes' % (display_url(url), self.max_file, size, self.max_file))
        self.total += size
        if self.total > self.max_total:
            raise InvalidInput('The template, environments and files add up to more than %d bytes (at %s)'
                               % (self.max_total, display_url(url)))

    def count_text(self, text, what):
        """Count inline content (options) against the limits."""
        if isinstance(text, str):
            self._count(len(text.encode('utf-8')), what)

    def read(self, url, roots=None):
        """The bytes at ``url``; ``roots`` (a tuple) confines a local reference, None reads the user's own path."""
        scheme = urllib_parse.urlparse(url).scheme
        if scheme not in URL_SCHEMES:
            raise InvalidInput('Cannot read %s: only file, http and https URLs are supported' % display_url(url))
        if scheme == 'file':
            return self._read_file(url, roots)
        return self._download(url)

    def _read_file(self, url, roots):
        path = _local_path(url)
        if roots is not None:
            real = os.path.realpath(path)
            if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
                where = ' or '.join(roots) if roots else 'no local directory (a document from a URL)'
                shown = path if real == os.path.abspath(path) else '%s (a link to %s)' % (path, real)
                raise InvalidInput('%s is outside the directories a template may read: %s. Local get_file, '
                                   'nested template and resource_registry references are confined to the '
                                   "template's directory tree; set files_root to allow another directory"
                                   % (shown, where))
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                raise InvalidInput('Cannot read the template or a file it references: %s is not a regular file' % path)
            self._count(info.st_size, url)
            with open(path, 'rb') as handle:
                data = handle.read(self.max_file + 1)
        except OSError as exc:
            raise InvalidInput('Cannot read the template or a file it references: %s: %s'
                               % (path, exc.strerror or exc))
        self._count(len(data) - info.st_size, url)  # a file that grew while being read
        return data

    def ssl_context(self):
        tls = self.tls
        try:
            if tls.get('validate_certs') is False:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                context = ssl.create_default_context(cafile=tls.get('ca_cert') or None)
            if tls.get('client_cert'):
                context.load_cert_chain(tls['client_cert'], tls.get('client_key') or None)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput('Cannot use the TLS options (ca_cert, client_cert, client_key) to download a '
                               'template: %s' % exc)
        return context

    def opener(self):
        """http and https only (no ftp, no redirect to file://); the task's TLS settings; proxies from the env."""
        return urllib_request.build_opener(urllib_request.HTTPSHandler(context=self.ssl_context()))

    def _download(self, url):
        box = {}
        what = display_url(url)

        def fetch():
            try:
                box['data'] = self._fetch(url)
            except Exception as exc:  # handed to the caller's thread
                box['error'] = exc

        worker = threading.Thread(target=fetch, name='template-download')
        worker.daemon = True
        worker.start()
        worker.join(self.deadline.remaining())
        if worker.is_alive() or isinstance(box.get('error'), socket.timeout):
            raise WaitTimeout('Downloading %s did not finish within the timeout of %ss'
                              % (what, self.deadline.seconds))
        if 'error' in box:
            raise box['error']
        return box['data']

    def _fetch(self, url):
        what = display_url(url)
        opener = self.opener()
        try:
            response = opener.open(url, timeout=max(self.deadline.remaining(), 0.001))
            try:
                declared = response.headers.get('Content-Length')
                if declared and declared.isdigit():
                    self._count(int(declared), url)
                    self.total -= int(declared)
                data = response.read(self.max_file + 1)
            finally:
                response.close()
        except urllib_error.HTTPError as exc:
            raise InvalidInput('Cannot download %s: HTTP %s %s' % (what, exc.code, exc.reason))
        except urllib_error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, socket.timeout):
                raise reason
            if isinstance(reason, ssl.SSLError):
                raise InvalidInput('Cannot download %s: TLS error: %s (set ca_cert to the CA that signed the server '
                                   'certificate)' % (what, reason))
            raise InvalidInput('Cannot download %s: %s' % (what, reason))
        except ssl.SSLError as exc:
            raise InvalidInput('Cannot download %s: TLS error: %s' % (what, exc))
        except socket.timeout:
            raise
        except OSError as exc:
            raise InvalidInput('Cannot download %s: %s' % (what, exc))
        self._count(len(data), url)
        return data


def _text(data):
    """File content as openstacksdk's ``read_url_content`` returns it: UTF-8 text, else base64."""
    try:
        return data.decode('utf-8')
    except ValueError:
        return base64.encodebytes(data)


def _read_template(reader, url, files, roots):
    """(template dict) read from ``url``, its references resolved into ``files``."""
    data = reader.read(url, roots)
    if not data:
        raise InvalidInput('Cannot read the template or a file it references: %s is empty' % display_url(url))
    try:
        template = parse_template(data.decode('utf-8'), display_url(url))
    except (ValueError, TypeError) as exc:
        raise InvalidInput('Cannot parse the template %s: %s' % (display_url(url), exc))
    _resolve_get_files(reader, template, files, base_url(url), roots)
    return template


def _resolve_get_files(reader, template, files, base, roots):
    def wanted(key, value):
        return isinstance(value, str) and (key == 'get_file' or key == 'type' and value.endswith(('.yaml', '.template')))
    _get_file_contents(reader, template, files, base, wanted, True, roots)


def _get_file_contents(reader, data, files, base, wanted, recurse, roots):
    """openstacksdk's ``get_file_contents``: read each wanted reference once, rewrite it to its absolute URL."""
    if recurse and isinstance(data, (dict, list)):
        for value in (data.values() if isinstance(data, dict) else data):
            _get_file_contents(reader, value, files, base, wanted, recurse, roots)
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if not wanted(key, value):
            continue
        url = urllib_parse.urljoin(base, value)
        if url not in files:
            content = _text(reader.read(url, roots))
            template = _as_template(content, display_url(url))
            if template is not None:  # a nested template: its own references too, sent as JSON
                _resolve_get_files(reader, template, files, base_url(url), roots)
                content = json.dumps(template)
            files[url] = content
        data[key] = url


def _resolve_environment_urls(reader, registry, files, base, roots):
    """openstacksdk's ``resolve_environment_urls``: the registry's template references."""
    if registry is None:
        return

    def wanted(key, value):
        return not (key in ('base_url', 'hooks', 'restricted_actions') or isinstance(value, dict) or '::' in value)

    base = registry.get('base_url', base)
    _get_file_contents(reader, registry, files, base, wanted, False, roots)
    for resource in (registry.get('resources') or {}).values():
        _get_file_contents(reader, resource, files, resource.get('base_url', base), wanted, False, roots)


def _seed_files(reader, extra_files, base):
    """The user's extra files keyed as references resolve relative to ``base``."""
    seeded = {}
    for name, content in (extra_files or {}).items():
        if not isinstance(content, str):
            content = json.dumps(content)
        reader.count_text(content, name)
        seeded[urllib_parse.urljoin(base, name)] = content
    return seeded


def load_template(template=None, template_content=None, template_url=None, files=None, cwd=None, reader=None):
    """Read the desired template and the files it references, as openstacksdk's template_utils does.

    Returns ``(template_dict, files_dict)``. ``get_file`` and nested template references are resolved
    relative to the template file (or URL); for inline content relative to ``cwd``. ``files`` (name ->
    content) provides contents for references instead of reading them. ``reader``: a TemplateReader (its
    limits, deadline and TLS settings); it remembers the template's directory for the environments.
    """
    reader = reader if reader is not None else TemplateReader()
    cwd = cwd or os.getcwd()
    if template is not None:
        path = os.path.abspath(os.path.expanduser(template))
        if not os.path.isfile(path):
            raise InvalidInput('Template file not found: %s' % template)
        url = file_url(path)
    elif template_url is not None:
        url = template_url if urllib_parse.urlparse(template_url).scheme else file_url(template_url)
    elif template_content is not None:
        url = None
    else:
        return None, {}
    if url is not None:
        reader.template_root = _root_of(url)
        tpl_files = _seed_files(reader, files, base_url(url))
        tpl = _read_template(reader, url, tpl_files, reader.roots(reader.template_root))
    else:
        reader.template_root = os.path.realpath(cwd)
        if isinstance(template_content, str):
            reader.count_text(template_content, '(template_content)')
            tpl = parse_template_text(template_content, '(template_content)')
        elif isinstance(template_content, dict):
            tpl = copy.deepcopy(template_content)
            if not any(k in tpl for k in ('heat_template_version', 'HeatTemplateFormatVersion',
                                          'AWSTemplateFormatVersion')):
                raise InvalidInput('template_content has no heat_template_version (not a Heat template)')
        else:
            raise InvalidInput('template_content must be a dict or a YAML/JSON string')
        base = base_url(file_url(os.path.join(cwd, 'template_content.yaml')))
        tpl_files = _seed_files(reader, files, base)
        _resolve_get_files(reader, tpl, tpl_files, base, reader.roots(reader.template_root))
    return json.loads(json.dumps(tpl, default=str)), tpl_files


def load_environment(paths=None, content=None, cwd=None, reader=None):
    """Merge environment files (in order) and then inline content; returns ``(environment, files)``.

    A file's ``resource_registry`` may read under its own directory and the template's (``reader``).
    """
    reader = reader if reader is not None else TemplateReader()
    cwd = cwd or os.getcwd()
    env, env_files = {}, {}
    for path in paths or []:
        if '://' not in path and not os.path.isfile(os.path.expanduser(path)):
            raise InvalidInput('Environment file not found: %s' % path)
        url = path if '://' in path else file_url(os.path.expanduser(path))
        try:
            one = parse_environment(reader.read(url), display_url(url))
        except ValueError as exc:
            raise InvalidInput('Cannot parse the environment %s: %s' % (display_url(url), exc))
        _resolve_environment_urls(reader, one.get('resource_registry'), env_files, base_url(url),
                                  reader.roots(reader.template_root, _root_of(url)))
        env = template_utils.deep_update(env, one)
    if content is not None:
        if isinstance(content, str):
            reader.count_text(content, '(environment_content)')
            try:
                inline = parse_environment(content, '(environment_content)')
            except ValueError as exc:
                raise InvalidInput('Cannot parse environment_content: %s' % exc)
        elif isinstance(content, dict):
            inline = copy.deepcopy(content)
            bad = [k for k in inline if k not in environment_format.SECTIONS]
            if bad:
                raise InvalidInput('environment_content has unknown section(s): %s' % ', '.join(sorted(bad)))
        else:
            raise InvalidInput('environment_content must be a dict or a YAML string')
        base = base_url(file_url(os.path.join(cwd, 'environment_content.yaml')))
        _resolve_environment_urls(reader, inline.get('resource_registry'), env_files, base,
                                  reader.roots(reader.template_root, os.path.realpath(cwd)))
        env = template_utils.deep_update(env, inline)
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
