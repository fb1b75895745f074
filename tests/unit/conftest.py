"""Unit-test fixtures: a fake clock (tests/conftest.py makes the collection importable)."""

import gc
import threading

import pytest


class FakeClock(object):
    """A clock that moves only when the code under test sleeps (and by ``per_fetch`` when a fake asks it to).

    Thread-safe, as bare metal's instances sleep in parallel. ``clock.deadline(seconds)`` is a
    ``_wait.Deadline`` on this clock; ``clock.sleeps`` records every pause.
    """

    def __init__(self, per_fetch=0.0):
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


@pytest.fixture(autouse=True)
def unfrozen():
    """A module's run freezes the objects (``_base.quick_exit``) before exiting; a test's run does not exit."""
    yield
    if hasattr(gc, 'unfreeze'):
        gc.unfreeze()
