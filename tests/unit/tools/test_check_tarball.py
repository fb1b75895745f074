"""tools/ci/check_tarball.py: what the collection tarball may ship, on real tarballs made here, and the doc build's
warning triage (tools/docs/build.py)."""

import importlib.util
import io
import json
import pathlib
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_tarball = load('tools/ci/check_tarball.py', 'check_tarball')
build = load('tools/docs/build.py', 'docs_build')

GOOD = ['MANIFEST.json', 'README.md', 'LICENSES/GPL-3.0-or-later.txt', 'meta/runtime.yml', 'requirements.txt',
        'plugins/modules/stack.py', 'plugins/module_utils/_base.py', 'roles/provision/tasks/main.yml',
        'playbooks/provision.yml', 'tests/sanity/ignore-2.19.txt', 'execution-environment.yml', 'docs/heat.md']


def make_tarball(tmp_path, names, listed=None):
    path = tmp_path / 'c.tar.gz'
    files = [{'name': n, 'ftype': 'file'} for n in (names if listed is None else listed) if n != 'MANIFEST.json']
    with tarfile.open(path, 'w:gz') as tar:
        for name, data in [(n, b'x') for n in names] + [('FILES.json', json.dumps({'files': files}).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


def test_a_clean_tarball_passes(tmp_path, capsys):
    assert check_tarball.main(['x', make_tarball(tmp_path, GOOD)]) == 0
    assert 'top level' in capsys.readouterr().out


@pytest.mark.parametrize('extra, reason', [
    ('tests/unit/test_x.py', 'test harness'),
    ('tests/integration/targets/stack/tasks/main.yml', 'test harness'),
    ('tests/conftest.py', 'test harness'),
    ('extensions/molecule/provision/molecule.yml', 'not an entry'),
    ('tools/localcloud/localcloud', 'not an entry'),
    ('benchmarks/bench.py', 'not an entry'),
    ('Makefile', 'not an entry'),
    ('requirements-docs.txt', 'not an entry'),
    ('plugins/modules/__pycache__/stack.cpython-311.pyc', 'residue'),
])
def test_what_must_not_ship_fails(tmp_path, capsys, extra, reason):
    assert check_tarball.main(['x', make_tarball(tmp_path, GOOD + [extra])]) == 1
    err = capsys.readouterr().err
    assert '%s: ' % extra in err and reason in err


@pytest.mark.parametrize('gone', ['LICENSES/GPL-3.0-or-later.txt', 'meta/runtime.yml', 'plugins/modules/stack.py'])
def test_what_must_ship_is_required(tmp_path, capsys, gone):
    assert check_tarball.main(['x', make_tarball(tmp_path, [n for n in GOOD if n != gone])]) == 1
    assert '%s: missing' % gone in capsys.readouterr().err


def test_files_json_must_match(tmp_path, capsys):
    path = make_tarball(tmp_path, GOOD, listed=GOOD + ['plugins/modules/gone.py'])
    assert check_tarball.main(['x', path]) == 1
    assert 'plugins/modules/gone.py: in FILES.json' in capsys.readouterr().err


FETCH = ['/x/WARNING: failed to reach any of the inventories with the following issues:',
         "intersphinx inventory 'https://docs.ansible.com/projects/ansible/devel/objects.inv' not fetchable due to <...>"]
LABEL = "/x/stack_module.rst:67: WARNING: undefined label: 'action_plugins' [ref.ref]"
ENVVAR = "/x/openstack_inventory.rst:407: WARNING: 'envvar' reference target not found: %s [ref.envvar]"
OTHER = "/x/guides/heat.md:3: WARNING: 'myst' cross-reference target not found: 'nope' [myst.xref_missing]"


@pytest.mark.parametrize('lines, offline, errors', [
    ([], 0, 0),
    (FETCH + [LABEL], 3, 0),                 # offline: the fetch and the labels only its inventory resolves
    ([LABEL], 0, 1),                         # the inventory was fetched, yet the label is unresolved: an error
    (FETCH + [LABEL, OTHER], 3, 1),          # any other warning fails, offline or not
    ([OTHER.replace('myst', 'toc'), ''], 0, 1),
    (FETCH + [LABEL.replace('action_plugins', 'ansible_collections.openstack.cloud.stack_module')], 3, 0),
    (FETCH + [LABEL.replace('action_plugins', 'ansible_collections.cloudrise.openstack.stack_module')], 2, 1),
    (FETCH + [ENVVAR % 'ANSIBLE_CACHE_PLUGIN'], 3, 0),     # ansible-core's variable, documented in its docs
    (FETCH + [ENVVAR % 'CLOUDRISE_NOT_CORE'], 2, 1),       # not core's: this site must define it
    ([ENVVAR % 'ANSIBLE_CACHE_PLUGIN'], 0, 1),
])
def test_docs_warning_triage(lines, offline, errors):
    got = build.classify(lines, {'ANSIBLE_CACHE_PLUGIN'})
    assert (len(got[0]), len(got[1])) == (offline, errors)


@pytest.mark.parametrize('text, expected, broken', [
    ('see [Heat](heat.md) and [here](senlin.md#sizing-a-cluster)', None, []),
    ('[the play](../playbooks/provision.yml)', '[the play](%s/blob/main/playbooks/provision.yml)' % build.REPOSITORY, []),
    ('[roles](../roles)', '[roles](%s/tree/main/roles)' % build.REPOSITORY, []),
    ('[readme](../README.md#install)', '[readme](%s/blob/main/README.md#install)' % build.REPOSITORY, []),
    ('[site](https://example.org/x) [top](#top) ![img](../x.png)', None, []),
    ('[gone](../playbooks/gone.yml)', None, ['../playbooks/gone.yml']),
])
def test_guide_links_on_the_site(text, expected, broken):
    got, bad = build.site_links(text, ROOT / 'docs')
    assert got == (text if expected is None else expected)
    assert bad == broken
