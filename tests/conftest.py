"""Fixtures for every test: this checkout as the collection ``cloudrise.openstack``.

The one place that links the checkout into ``.tmp/collections/ansible_collections/cloudrise/openstack`` (a
symlink, so edits show at once): plain pytest imports ``ansible_collections.cloudrise.openstack`` through it, and
the ansible commands the tests run find the collection with ``ANSIBLE_COLLECTIONS_PATH`` set to
``collections_path``. (``make`` links the same path for the README's commands.)
"""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / '.tmp' / 'collections'


def link_collection():
    link = COLLECTIONS / 'ansible_collections' / 'cloudrise' / 'openstack'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    return COLLECTIONS


def _ensure_importable():
    link_collection()
    try:
        import ansible_collections.cloudrise.openstack  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(COLLECTIONS))


_ensure_importable()


@pytest.fixture(scope='session')
def collections_path():
    """The directory to give ansible commands as ANSIBLE_COLLECTIONS_PATH."""
    return str(link_collection())
