#!/usr/bin/env python3
"""Build the docs site into .tmp/docs/html: the collection's pages (antsibull-docs) and the guides in docs/*.md.

Usage: tools/docs/build.py [--venv .venv-docs]   (``make docs`` installs that venv from requirements-docs.txt)

1. ``antsibull-docs collection`` renders every module and role of the checkout (found through the link
   ``.tmp/collections/ansible_collections/cloudrise/openstack``, as for the tests) to rst in ``collection/``.
2. Every ``docs/*.md`` is copied to ``guides/`` (myst-parser reads Markdown), and the ``docs/*.png`` their images
   show beside them: a guide added to docs/ is on the
   site without touching this script. ``index.rst`` lists the guides and the collection index. A guide's links
   to other files of the repository (``../playbooks/provision.yml``) point to them on GitHub.
3. ``sphinx-build`` (``-c tools/docs``, nitpicky) writes HTML. Every warning fails the build except those caused
   by having no network, which the build cannot fix and prints as such:
   - the fetch of the Ansible docs' intersphinx inventory (``failed to reach any of the inventories`` and the
     ``intersphinx inventory ... not fetchable`` line under it);
   - and, only when that fetch failed, the references to the Ansible docs' labels that only that inventory
     resolves: ANSIBLE_DOCS_LABELS, which antsibull-docs writes into every module page, and the pages of other
     collections (``ansible_collections.openstack.cloud.stack_module``, from the seealso entries), and
     ansible-core's configuration variables (``ANSIBLE_CACHE_PLUGIN``: the inventory plugin's cache options).
"""

import argparse
import collections
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / '.tmp' / 'docs'
COLLECTIONS = ROOT / '.tmp' / 'collections'
COLLECTION = 'cloudrise.openstack'
REPOSITORY = 'https://github.com/cloudrise/cloudrise.openstack'
# [text](target) in Markdown, not an image; code spans are not parsed, so a guide keeps links out of them.
MD_LINK = re.compile(r'((?<!!)\[[^\]\n]*\])\(([^()\s]+)\)')

# Guides first in this order; any other docs/*.md follows, alphabetically.
GUIDE_ORDER = ('getting-started', 'awx', 'inventory', 'heat', 'senlin', 'migrating-openstack-cloud',
               'migrating-metalsmith', 'secrets', 'performance', 'contributing')

# Labels of the Ansible docs that the generated pages refer to (resolved through intersphinx when online).
ANSIBLE_DOCS_LABELS = ('action_plugins', 'common_return_values', 'ansible_configuration_settings')
NO_NETWORK = (
    re.compile(r'WARNING: failed to reach any of the inventories with the following issues:'),
    re.compile(r"^intersphinx inventory '\S+' not fetchable"),
)
# ... and the pages of other collections (the seealso entries to openstack.cloud's modules), which the Ansible
# docs hold too. A label of this collection is never one: its pages are built here.
INVENTORY_LABEL = re.compile(r"WARNING: undefined label: '(%s|ansible_collections\.(?!cloudrise\.openstack\.)[\w.]+)'"
                             % '|'.join(ANSIBLE_DOCS_LABELS))
INVENTORY_ENVVAR = re.compile(r"WARNING: 'envvar' reference target not found: (ANSIBLE_\w+)")

INDEX = """\
.. _docsite_root_index:

cloudrise.openstack
===================

An Ansible collection that provisions OpenStack infrastructure idempotently: Heat stacks and software configs,
Senlin clusters with their policies and webhook receivers, and bare-metal instances on Ironic with metalsmith's
semantics. The project lives at https://github.com/cloudrise/cloudrise.openstack (sources, issues, releases).

.. toctree::
   :maxdepth: 1
   :caption: Guides

{guides}

.. toctree::
   :maxdepth: 2
   :caption: Reference

   collection/index
   collection/environment_variables
"""


def guides(docs):
    names = sorted(p.stem for p in docs.glob('*.md'))
    first = [n for n in GUIDE_ORDER if n in names]
    return first + [n for n in names if n not in first]


def site_links(text, docs):
    """A guide's relative links to files of the repository outside docs/*.md point to them on GitHub on the site.

    A link to another guide stays (myst makes it a document reference); a link to a path that does not exist in
    the checkout is an error, as a broken link would be.
    """
    broken = []

    def rewrite(match):
        target = match.group(2)
        path, sep, fragment = target.partition('#')
        if not path or re.match(r'^[a-z][a-z0-9+.-]*:', path) or path.startswith('/'):
            return match.group(0)
        resolved = (docs / path).resolve()
        if resolved.parent == docs.resolve() and resolved.suffix == '.md' and resolved.is_file():
            return match.group(0)
        try:
            relative = resolved.relative_to(ROOT)
        except ValueError:
            relative = None
        if relative is None or not resolved.exists():
            broken.append(target)
            return match.group(0)
        kind = 'tree' if resolved.is_dir() else 'blob'
        return '%s(%s/%s/main/%s%s%s)' % (match.group(1), REPOSITORY, kind, relative.as_posix(), sep, fragment)

    return MD_LINK.sub(rewrite, text), broken


def stage(src, docs):
    shutil.rmtree(src, ignore_errors=True)
    (src / 'guides').mkdir(parents=True)
    names = guides(docs)
    broken = []
    for name in names:
        text, bad = site_links((docs / (name + '.md')).read_text(), docs)
        broken.extend('docs/%s.md: a link to %s, which is not in the repository' % (name, t) for t in bad)
        (src / 'guides' / (name + '.md')).write_text(text)
    if broken:
        raise SystemExit('\n'.join(broken))
    for image in docs.glob('*.png'):  # a guide's images (performance.md's plot) sit beside it
        shutil.copy(str(image), str(src / 'guides' / image.name))
    (src / 'index.rst').write_text(INDEX.format(guides='\n'.join('   guides/%s' % n for n in names)))
    return names


def run(cmd, env):
    """Run a build step quietly (sphinx's warnings go to its -w file); print its output only when it fails."""
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout)
        raise SystemExit('docs: %s failed (exit %d)' % (os.path.basename(cmd[0]), proc.returncode))
    return time.monotonic() - started


def core_envvars():
    """The environment variables of ansible-core's configuration (its docs define them; intersphinx resolves them)."""
    import ansible.config
    base = pathlib.Path(ansible.config.__file__).with_name('base.yml').read_text()
    return set(re.findall(r'name: (ANSIBLE_\w+)', base))


def classify(lines, envvars=frozenset()):
    """Split sphinx's warning lines into (no_network, errors); the reference warnings count only when offline.

    envvars: ansible-core's configuration variables, which the inventory plugin's cache options refer to.
    """
    offline, errors, pending = [], [], []
    fetch_failed = False
    for line in lines:
        if not line.strip():
            continue
        envvar = INVENTORY_ENVVAR.search(line)
        if any(p.search(line) for p in NO_NETWORK):
            fetch_failed = True
            offline.append(line)
        elif INVENTORY_LABEL.search(line) or (envvar and envvar.group(1) in envvars):
            pending.append(line)
        else:
            errors.append(line)
    if fetch_failed:
        offline.extend(pending)
    else:
        errors.extend(pending)
    return offline, errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--venv', default=str(ROOT / '.venv-docs'))
    args = parser.parse_args(argv)
    venv_bin = pathlib.Path(args.venv).resolve() / 'bin'
    env = dict(os.environ, PATH='%s%s%s' % (venv_bin, os.pathsep, os.environ.get('PATH', '')),
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS))
    link = COLLECTIONS / 'ansible_collections' / 'cloudrise' / 'openstack'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)

    src, html = OUT / 'src', OUT / 'html'
    names = stage(src, ROOT / 'docs')
    # antsibull-docs wants its destination writable by its owner only.
    (src / 'collection').mkdir(mode=0o755)
    rst_time = run([str(venv_bin / 'antsibull-docs'), 'collection', '--use-current', '--squash-hierarchy',
                    '--dest-dir', str(src / 'collection'), COLLECTION], env)
    shutil.rmtree(html, ignore_errors=True)
    warnings = OUT / 'warnings.log'
    html_time = run([str(venv_bin / 'sphinx-build'), '-b', 'html', '-q', '-n', '--keep-going', '-E', '-j', 'auto',
                     '-c', str(ROOT / 'tools' / 'docs'), '-w', str(warnings), str(src), str(html)], env)
    offline, errors = classify(warnings.read_text().splitlines(), core_envvars())
    if offline:
        labels = collections.Counter(m.group(1).rsplit('.', 1)[0] if m.group(1).startswith('ansible_collections.')
                                     else m.group(1) for m in map(INVENTORY_LABEL.search, offline) if m)
        labels.update('ansible-core variables' for line in offline if INVENTORY_ENVVAR.search(line))
        print('no network (allowed): the Ansible docs inventory could not be fetched, so %d references to its labels'
              ' stay unresolved (%s)' % (sum(labels.values()), ', '.join('%s: %d' % kv for kv in sorted(labels.items()))))
    if errors:
        print('\n'.join(errors), file=sys.stderr)
        print('docs: %d warning(s) above; warnings are errors' % len(errors), file=sys.stderr)
        return 1
    pages = sum(1 for unused in html.rglob('*.html'))
    print('docs: %d guides, %d HTML pages in %s (antsibull-docs %.1f s, sphinx %.1f s)'
          % (len(names), pages, html.relative_to(ROOT), rst_time, html_time))
    return 0


if __name__ == '__main__':
    sys.exit(main())
