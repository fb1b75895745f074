# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the desired stack's template, environments and the files they reference (``TemplateReader``,
``load_template``, ``load_environment``), as openstacksdk's ``template_utils`` does (the same ``file://``/
``https://`` keys in the files map, nested templates sent as JSON), within limits:

* a local reference (``get_file``, a nested template ``type:``, a ``resource_registry`` entry) must be under
  the allowed directory tree: ``files_root``, else the template's directory (the working directory for inline
  content) and, for an environment file's registry, also the environment file's directory; symbolic links
  are followed before the check; a template or environment from a URL reads no local file;
* only ``file``, ``http`` and ``https`` URLs (no ftp, no ``data:``; a redirect only to http/https);
* each document at most ``MAX_FILE_BYTES``, all together at most ``MAX_TOTAL_BYTES``;
* YAML aliases may add at most ``ALIAS_EXTRA_NODES`` nodes to a document (or as many as it has);
* downloads use the task's TLS options and end by the task's deadline (a ``_wait.Deadline``).

Each limit raises ``InvalidInput`` (``WaitTimeout`` for the deadline) before any request to the cloud."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import io
import json
import os
import socket
import ssl
import stat
import threading
from urllib import error as urllib_error
from urllib import parse as urllib_parse
from urllib import request as urllib_request

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline

try:
    import yaml
    from openstack.orchestration.util import environment_format, template_format, template_utils
except ImportError:  # pragma: no cover - the base reports the missing SDK
    yaml = template_utils = template_format = environment_format = None

MAX_FILE_BYTES = 1024 * 1024           # each template, environment and file (Heat's max_template_size: 512 KiB)
MAX_TOTAL_BYTES = 10 * MAX_FILE_BYTES  # everything one task reads
ALIAS_EXTRA_NODES = 10000              # YAML nodes aliases may add beyond the document's own (or as many as it has)
URL_SCHEMES = ('file', 'http', 'https')


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


def _named_stream(text, source):
    """The text as a stream named ``source``: YAML errors then say where (``in "<source>", line 3, column 5``)."""
    stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    stream.name = source
    return stream


def _yaml_load(text, base, fallback, source):
    """``yaml.load`` as openstacksdk's parsers do (``fallback`` for a readable error), aliases bounded; an
    error names ``source`` with the line and column."""
    loader = _limited_loader(base)
    loader.source = source
    try:
        return yaml.load(_named_stream(text, source), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        loader = _limited_loader(fallback)
        loader.source = source
        try:
            return yaml.load(_named_stream(text, source), Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise ValueError(exc)


def parse_template(text, source='the template'):
    """openstacksdk's ``template_format.parse`` with bounded aliases; ValueError when it is no template.

    Unlike it, a text starting with ``{`` that is no JSON is read as YAML (a superset of JSON), so that a
    flow mapping works (``ansible -m ... -a 'template_content="{heat_template_version: 2018-08-31}"'``)
    and a mistake in it is reported with its line and column."""
    tpl = None
    if text.strip().startswith('{'):
        try:  # JSON as Heat reads it (one pass, no alias)
            tpl = json.loads(text)
        except ValueError:
            pass  # a YAML flow mapping (``{heat_template_version: 2018-08-31}``), or a mistake YAML locates
    if tpl is None:
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
        opener = urllib_request.OpenerDirector()
        for handler in (urllib_request.ProxyHandler(), urllib_request.UnknownHandler(), urllib_request.HTTPHandler(),
                        urllib_request.HTTPSHandler(context=self.ssl_context()), urllib_request.HTTPRedirectHandler(),
                        urllib_request.HTTPDefaultErrorHandler(), urllib_request.HTTPErrorProcessor()):
            opener.add_handler(handler)
        return opener

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
        own_root = _root_of(url)  # None: an environment from a URL reads no local file (unless files_root)
        _resolve_environment_urls(reader, one.get('resource_registry'), env_files, base_url(url),
                                  reader.roots(reader.template_root, own_root) if own_root else reader.roots())
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


# The options that ``read_inputs`` reads, as every module that takes a template declares them (stack,
# stack_template_validate); a module adds its own around them.
TEMPLATE_SOURCES = ('template', 'template_content', 'template_url')
TEMPLATE_INPUT_SPEC = dict(
    template=dict(type='str'),
    template_content=dict(type='raw'),
    template_url=dict(type='str'),
    files=dict(type='dict'),
    files_root=dict(type='path'),
    environment=dict(type='list', elements='str'),
    environment_content=dict(type='raw'),
    parameters=dict(type='dict', default={}),
    secret_parameters=dict(type='dict', no_log=True),
)


def read_inputs(params, cwd=None, deadline=None):
    """``(template, files, environment)`` from a module's options, read within the limits: the one code path of
    every module that takes a template (``template``/``template_content``/``template_url``, ``files``,
    ``files_root``, ``environment``, ``environment_content`` and the TLS options for downloads).

    ``deadline``: the task's (downloads share it); by default one of the task's ``timeout``."""
    reader = TemplateReader(params.get('files_root'), deadline or Deadline(params.get('timeout') or 3600),
                            dict((k, params.get(k)) for k in ('validate_certs', 'ca_cert', 'client_cert', 'client_key')))
    template, tpl_files = load_template(params.get('template'), params.get('template_content'),
                                        params.get('template_url'), params.get('files'), cwd=cwd, reader=reader)
    environment, env_files = load_environment(params.get('environment'), params.get('environment_content'),
                                              cwd=cwd, reader=reader)
    files = dict(tpl_files)
    files.update(env_files)
    return template, files, environment
