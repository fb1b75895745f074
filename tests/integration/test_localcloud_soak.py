"""Soak the local real cloud: rounds of real operations that must all succeed.

Catches races of the local cloud itself, e.g. Keystone run with request threads (it then
mixes up the scope of concurrent requests: Heat's create_trust got 403 and Senlin nodes
failed 1 cluster in 3).  Each test runs `tools/localcloud/localcloud soak` and fails when
any round failed; rounds print the reason (node status_reason, Heat stack reason).
The soak names everything soak-<run>-* and deletes it; allocations use only nodes that
are available (run it when no other test holds them).  Longer runs by hand:
`tools/localcloud/localcloud soak clusters -n 50` (see tools/localcloud/README.md).
"""

import subprocess

import pytest

from localcloud_fixture import TOOL


@pytest.mark.parametrize('argv, rounds', [
    (['clusters', '-n', '10', '--nodes', '3'], 10),
    (['stacks', '-n', '1', '--parallel', '20'], 1),
    (['allocations', '-n', '2'], 2),
], ids=['clusters', 'stacks', 'allocations'])
def test_soak(localcloud, argv, rounds):
    result = subprocess.run([str(TOOL), 'soak', *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=1800, check=False)
    summary = result.stdout.strip().splitlines()[-1:] or ['(no output)']
    assert result.returncode == 0 and f' 0/{rounds} failed' in summary[0], result.stdout
