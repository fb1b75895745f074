# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile and policy spec files, read as the openstack CLI's ``--spec-file`` reads them (python-senlinclient's
``get_spec_content`` and ``process_stack_spec``), so that a profile the CLI made from a file and the one the
modules make from it are equal.

What the CLI does, and so what ``read_spec_file`` does:

* the file is YAML (``yaml.safe_load``) with ``type``, ``version`` and ``properties``;
* for an ``os.heat.stack`` spec, ``properties`` is rebuilt: ``template`` (a path or URL) is read with the files
  it references (``get_file``, nested templates), ``environment`` (a list of paths or URLs) is read and merged
  with the files its ``resource_registry`` references, and the properties sent are exactly ``disable_rollback``
  (default true), ``context`` ({}), ``parameters`` ({}), ``timeout`` (60), ``template``, ``files`` and
  ``environment``, as openstacksdk's ``template_utils`` (the CLI's heatclient copy) makes them;
* other spec types are sent as the file has them.

Where the modules differ from the CLI (each documented in the modules):

* a relative ``template``/``environment`` path resolves against the spec file's directory, not the working
  directory (the CLI's working directory is where the operator happens to be);
* ``template_url`` that is a relative path or ``file://`` URL is read and inlined as ``template`` (the CLI
  refuses a spec without ``template``); an ``http(s)`` ``template_url`` is kept for Senlin (Heat) to fetch;
* ``template`` may also be an inline mapping and ``environment`` an inline mapping (the CLI fails on both);
* the spec's own ``files`` are kept (merged under those read; the CLI drops them), and any other property is
  kept, so that Senlin's validation names it (the CLI drops it silently);
* the template's references are read within the ``stack`` module's limits (``_heat.reader``: the template's
  directory tree, sizes, YAML aliases, file/http/https only).

Every error names the spec file and is raised before any request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
from urllib import parse as urllib_parse

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import reader as heat_reader

try:
    import yaml
except ImportError:  # pragma: no cover - the base reports the missing SDK
    yaml = None

HEAT_STACK_TYPE = 'os.heat.stack'
# the os.heat.stack properties python-senlinclient's process_stack_spec sends, with its defaults
STACK_DEFAULTS = (('disable_rollback', True), ('context', {}), ('parameters', {}), ('timeout', 60))
STACK_READ = ('template', 'template_url', 'environment', 'files') + tuple(k for k, _default in STACK_DEFAULTS)
TLS_OPTIONS = ('validate_certs', 'ca_cert', 'client_cert', 'client_key')
READER_HINT = '; set files_root to allow another directory'


class SpecFileError(InvalidInput):
    """A spec file that cannot be used; the message names the file."""


def _fail(option, path, msg):
    raise SpecFileError('%s %s: %s' % (option, path, msg), spec_file=path)


def _is_url(value):
    return urllib_parse.urlparse(value).scheme in ('file', 'http', 'https')


def read_spec_file(path, option='spec_file', tls=None, deadline=None, reader=None):
    """The spec the openstack CLI sends for the spec file at ``path`` (see the module docstring): a new dict.

    ``option``: the option's name, for the messages. ``tls``/``deadline``: for a template downloaded over https
    (the task's TLS options and time budget). ``reader``: a ``_heat.reader.TemplateReader`` (tests)."""
    shown = path
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isfile(path):
        _fail(option, shown, 'file not found (spec files are read on the host the module runs on)')
    reader = reader if reader is not None else heat_reader.TemplateReader(deadline=deadline, tls=tls)
    try:
        data = reader.read(heat_reader.file_url(path))
        text = data.decode('utf-8')
    except InvalidInput as exc:
        _fail(option, shown, exc.msg)
    except ValueError as exc:
        _fail(option, shown, 'not UTF-8 text: %s' % exc)
    try:
        spec = heat_reader._yaml_load(text, yaml.SafeLoader, yaml.SafeLoader, shown)
    except ValueError as exc:
        _fail(option, shown, 'not a valid YAML file: %s' % exc)
    if not isinstance(spec, dict):
        _fail(option, shown, 'not a spec (a YAML mapping with type, version and properties): got %s'
              % type(spec).__name__)
    for key in ('type', 'version', 'properties'):
        if spec.get(key) is None:
            _fail(option, shown, "missing '%s' key in the spec file" % key)
    if spec['type'] == HEAT_STACK_TYPE:
        try:
            spec['properties'] = stack_properties(spec['properties'], os.path.dirname(path), reader)
        except InvalidInput as exc:
            _fail(option, shown, exc.msg.replace(READER_HINT, ''))
    # as sent on the wire (JSON): a date or other YAML value becomes text
    return json.loads(json.dumps(spec, default=str))


def stack_properties(properties, base_dir, reader):
    """An ``os.heat.stack`` spec file's ``properties`` as python-senlinclient's ``process_stack_spec`` makes them,
    relative paths resolved against ``base_dir``."""
    if not isinstance(properties, dict):
        raise InvalidInput('properties must be a mapping (got %s)' % type(properties).__name__)
    seed = properties.get('files')
    if seed is not None and not isinstance(seed, dict):
        raise InvalidInput('properties.files must be a mapping of name to content')
    tpl, files, kept_url = _stack_template(properties, base_dir, seed, reader)
    env, env_files = _stack_environment(properties.get('environment'), base_dir, reader)
    out = dict((key, copy.deepcopy(properties.get(key, default))) for key, default in STACK_DEFAULTS)
    out.update(files=dict(files, **env_files), environment=env)
    if kept_url is None:
        out['template'] = tpl
    else:
        out['template_url'] = kept_url
    # anything else is kept, so that Senlin's validation names it (the CLI drops it)
    out.update((key, value) for key, value in properties.items() if key not in STACK_READ)
    return out


def _stack_template(properties, base_dir, seed, reader):
    """``(template, files, template_url kept for Heat or None)`` of a stack spec's properties."""
    template, template_url = properties.get('template'), properties.get('template_url')
    if not template and not template_url:
        raise InvalidInput('no template found in the spec file (properties.template, a path or URL of the Heat '
                           'template, or an inline template)')
    if template and template_url:
        raise InvalidInput('properties has both template and template_url: give one')
    if isinstance(template, dict):
        return heat_reader.load_template(template_content=template, files=seed, cwd=base_dir, reader=reader) + (None,)
    source = template or template_url
    if not isinstance(source, str):
        raise InvalidInput('properties.%s must be a path or URL (got %s)'
                           % ('template' if template else 'template_url', type(source).__name__))
    scheme = urllib_parse.urlparse(source).scheme
    if template_url and scheme in ('http', 'https'):
        return None, dict(seed or {}), template_url
    if scheme:
        if not _is_url(source):
            raise InvalidInput('cannot read the template %s: only file, http and https URLs are supported'
                               % heat_reader.display_url(source))
        return heat_reader.load_template(template_url=source, files=seed, reader=reader) + (None,)
    path = os.path.join(base_dir, os.path.expanduser(source))
    return heat_reader.load_template(template=path, files=seed, reader=reader) + (None,)


def _stack_environment(environment, base_dir, reader):
    """``(environment, files)`` of a stack spec's ``environment``: a list of paths/URLs (as the CLI), a mapping."""
    if isinstance(environment, dict):
        return heat_reader.load_environment(content=environment, cwd=base_dir, reader=reader)
    if environment is not None and not isinstance(environment, list):
        raise InvalidInput('properties.environment must be a list of environment file paths or URLs (or a mapping)')
    paths = []
    for item in environment or []:
        if not isinstance(item, str):
            raise InvalidInput('properties.environment must list paths or URLs of environment files')
        paths.append(item if '://' in item else os.path.join(base_dir, os.path.expanduser(item)))
    return heat_reader.load_environment(paths, reader=reader)


def spec_file_params(params, spec_key, file_key, deadline=None):
    """``params`` with ``params[spec_key]`` read from the spec file ``params[file_key]`` when that is set (a new
    dict; ``params`` unchanged). The file's downloads use the task's TLS options and ``deadline``. With
    ``state=absent`` the file is not read (a deletion needs no spec)."""
    path = params.get(file_key)
    if not path or params.get('state') == 'absent':
        return params
    out = dict(params)
    out[spec_key] = read_spec_file(path, file_key, dict((k, params.get(k)) for k in TLS_OPTIONS), deadline)
    return out


def validate_spec(client, kind, spec, spec_file=None, option='spec_file'):
    """Senlin's validation of ``spec`` (``client.validate_spec``); a refusal names the spec file it came from."""
    try:
        client.validate_spec(kind, spec)
    except InvalidInput as exc:
        if not spec_file:
            raise
        raise SpecFileError('%s %s: %s' % (option, spec_file, exc.msg), spec_file=spec_file, **exc.details)
