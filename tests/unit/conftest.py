"""Unit-test fixtures: this checkout importable as ansible_collections.cloudrise.openstack, and a fake clock."""

import pathlib
import sys

import pytest

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


class FakeClock(object):
    """A clock that moves only when the code under test sleeps (and by ``per_fetch`` when a fake asks it to).

    Thread-safe, as bare metal's instances sleep in parallel. ``clock.deadline(seconds)`` is a
    ``_wait.Deadline`` on this clock; ``clock.sleeps`` records every pause.
    """

    def __init__(self, per_fetch=0.0):
        import threading
        self.now = 0.0
        self.per_fetch = per_fetch
        self.sleeps = []
        self._lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def tick(self, seconds=None):
        with self._lock:
            self.now += self.per_fetch if seconds is None else seconds

    def deadline(self, seconds):
        from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline
        return Deadline(seconds, clock=self, sleep=self.sleep)


@pytest.fixture
def clock():
    """A fresh FakeClock for the test."""
    return FakeClock()


@pytest.fixture
def make_clock():
    """FakeClock itself, for tests that need several clocks or ``per_fetch``."""
    return FakeClock
