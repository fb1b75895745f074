"""Make this checkout importable as ansible_collections.cloudrise.openstack for plain pytest runs."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / '.tmp' / 'collections'
LINK = COLLECTIONS / 'ansible_collections' / 'cloudrise' / 'openstack'


def _ensure_importable():
    try:
        import ansible_collections.cloudrise.openstack  # noqa: F401
        return
    except ImportError:
        pass
    LINK.parent.mkdir(parents=True, exist_ok=True)
    if not LINK.exists():
        LINK.symlink_to(ROOT, target_is_directory=True)
    sys.path.insert(0, str(COLLECTIONS))


_ensure_importable()
