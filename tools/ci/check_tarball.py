#!/usr/bin/env python3
"""Check that the collection tarball ships what runs from an installed collection, and only that.

Usage: tools/ci/check_tarball.py dist/cloudrise-openstack-X.Y.Z.tar.gz   (called by tools/ci/check-build)

An installed collection runs its plugins, roles and playbooks; it documents itself with README.md, docs/, the
changelog and its licence; ansible-builder reads requirements.txt, bindep.txt and execution-environment.yml.
The developer harness does not run from there (pytest suites, molecule scenarios, benchmarks, the local cloud in
tools/ that they need): build_ignore in galaxy.yml leaves it out, and this script fails when it comes back.
"""

import json
import sys
import tarfile

# Top-level entries an installed collection may hold (a directory is named with its trailing slash).
ALLOWED_TOP = {
    'MANIFEST.json', 'FILES.json', 'README.md', 'CHANGELOG.rst', 'CONTRIBUTING.md', 'CODE_OF_CONDUCT.md',
    'LICENSES/', 'requirements.txt', 'bindep.txt', 'execution-environment.yml',
    'meta/', 'plugins/', 'roles/', 'playbooks/', 'docs/', 'changelogs/', 'tests/',
}
# Must be there: the collection would not install, run or say what it is without them.
REQUIRED = ('MANIFEST.json', 'FILES.json', 'README.md', 'LICENSES/GPL-3.0-or-later.txt', 'meta/runtime.yml',
            'requirements.txt', 'plugins/modules/stack.py', 'plugins/module_utils/_base.py', 'roles/provision/tasks/main.yml',
            'playbooks/provision.yml')
# Under tests/ only the sanity ignore files ship (Galaxy's importer reads them).
TESTS_ALLOWED = 'tests/sanity/'
FORBIDDEN_PARTS = ('__pycache__', '.pytest_cache', '.ruff_cache', '.localcloud', '.venv')


def problems(names):
    found = []
    names = [n[2:] if n.startswith('./') else n for n in names]
    for name in names:
        head, sep, rest = name.partition('/')
        top = head + '/' if sep else head
        if top not in ALLOWED_TOP:
            found.append('%s: not an entry an installed collection uses' % name)
        elif top == 'tests/' and rest and not name.startswith(TESTS_ALLOWED):
            found.append('%s: test harness (only tests/sanity ships)' % name)
        if any(part in FORBIDDEN_PARTS or part.endswith('.pyc') for part in name.split('/')):
            found.append('%s: build or cache residue' % name)
    present = set(names)
    found.extend('%s: missing' % name for name in REQUIRED if name not in present)
    return found


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with tarfile.open(argv[1]) as tar:
        members = tar.getmembers()
        names = [m.name.rstrip('/') + ('/' if m.isdir() else '') for m in members]
        files = json.load(tar.extractfile('FILES.json'))['files'] if 'FILES.json' in names else []
    found = problems(n for n in names if n not in ('./', ''))
    # FILES.json lists what ansible-galaxy verifies after install: it must agree with the archive.
    listed = {f['name'] + ('/' if f['ftype'] == 'dir' else '') for f in files if f['name'] != '.'}
    found.extend('%s: in FILES.json, not in the tarball' % n for n in sorted(listed - set(names)))
    if found:
        print('\n'.join(found), file=sys.stderr)
        print('%s ships %d entries it should not (galaxy.yml build_ignore)' % (argv[1], len(found)), file=sys.stderr)
        return 1
    tops = sorted({n.split('/')[0] for n in names})
    print('tarball: %d entries, top level: %s' % (len(names), ' '.join(tops)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
