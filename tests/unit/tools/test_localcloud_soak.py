"""Unit tests of `localcloud soak`: its arguments, how a round is judged, the summary,
the time bound (no cloud, no SDK)."""

import itertools

import pytest

from lc import cli, config
from lc import soak as tool
from lc.runtime import soak


@pytest.mark.parametrize('argv, expected', [
    (['clusters'], (10, 1, 180.0, 3)),
    (['stacks'], (1, 20, 300.0, 3)),
    (['allocations'], (2, 4, 120.0, 3)),
    (['clusters', '-n', '50', '--nodes', '4', '--timeout', '60'], (50, 1, 60.0, 4)),
    (['stacks', '--parallel', '5', '-n', '3'], (3, 5, 300.0, 3)),
])
def test_parse_args_defaults_per_kind(argv, expected):
    args = soak.parse_args(argv)
    assert (args.rounds, args.parallel, args.timeout, args.nodes) == expected


@pytest.mark.parametrize('argv', [['servers'], ['clusters', '-n', '0'],
                                  ['stacks', '--parallel', '0'], ['clusters', '--timeout', '0']])
def test_parse_args_rejects(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        soak.parse_args(argv)
    assert exc.value.code == 2


def node(name, status='ACTIVE', reason='Creation succeeded', physical_id=None):
    return {'name': name, 'status': status, 'status_reason': reason,
            'physical_id': physical_id or f'stack-{name}'}


ACTIVE = {'status': 'ACTIVE', 'status_reason': 'Cluster creation succeeded.'}
WARNING = {'status': 'WARNING', 'status_reason': 'Failed in creating nodes.'}


def test_cluster_ok():
    assert soak.cluster_problems(ACTIVE, [node('a'), node('b'), node('c')], 3) == []


def test_cluster_with_a_failed_node_names_the_node_and_its_stack():
    nodes = [node('a'), node('b'), node('c', 'ERROR', 'Failed in creating stack: 403')]
    problems = soak.cluster_problems(WARNING, nodes, 3,
                                     {'stack-c': 'CREATE_FAILED: Forbidden'})
    assert problems == [
        'cluster WARNING: Failed in creating nodes.',
        'node c ERROR: Failed in creating stack: 403; Heat stack CREATE_FAILED: Forbidden']


def test_cluster_active_but_short_of_nodes():
    assert soak.cluster_problems(ACTIVE, [node('a')], 3) == ['1 nodes instead of 3']


def test_cluster_node_without_stack():
    problems = soak.cluster_problems(ACTIVE, [node('a', 'ERROR', None, physical_id='')], 1)
    assert problems == ['node a ERROR: -; Heat stack no stack']


def test_stack_problems():
    ok = {'name': 's1', 'status': 'CREATE_COMPLETE', 'status_reason': 'done'}
    bad = {'name': 's2', 'status': 'CREATE_FAILED', 'status_reason': 'Forbidden'}
    assert soak.stack_problems([ok, dict(ok, name='s2')], 2) == []
    assert soak.stack_problems([ok, bad], 2) == ['stack s2 CREATE_FAILED: Forbidden']
    assert soak.stack_problems([ok], 2) == ['1 stacks instead of 2']


def alloc(name, state='active', node_id='n1', error=None):
    return {'name': name, 'state': state, 'node_id': node_id, 'last_error': error}


@pytest.mark.parametrize('allocations, problems', [
    ([alloc('a', node_id='n1'), alloc('b', node_id='n2')], []),
    ([alloc('a', 'error', None, 'no node')], ['allocation a error: no node']),
    ([alloc('a', node_id='n9')], ['allocation a on unexpected node n9']),
    ([alloc('a'), alloc('b')], ["two allocations on one node: ['n1', 'n1']"]),
])
def test_allocation_problems(allocations, problems):
    assert soak.allocation_problems(allocations, ['n1', 'n2']) == problems


def fake_clock(step=1.0):
    ticks = itertools.count(0, step)
    return lambda: next(ticks)


def test_run_rounds_counts_failures_and_goes_on():
    def one_round(index):
        if index == 2:
            raise soak.SoakError('node x ERROR')
        if index == 3:
            raise RuntimeError('connection reset')
        return 'fine'
    lines = []
    results = soak.run_rounds('clusters', 4, one_round, lines.append, clock=fake_clock())
    assert [r.ok for r in results] == [True, False, False, True]
    assert lines[0] == 'clusters round 1/4: ok in 1.0 s: fine'
    assert lines[1] == 'clusters round 2/4: FAILED in 1.0 s: node x ERROR'
    assert lines[2] == 'clusters round 3/4: FAILED in 1.0 s: RuntimeError: connection reset'
    summary = soak.summary_line('clusters', results, 12.3)
    assert summary.startswith('soak clusters: 2/4 failed in 12.3 s')


def test_error_text_adds_the_server_message():
    class HttpError(Exception):
        details = 'Stack name must be unique'
    assert soak.error_text(HttpError('409')) == 'HttpError: 409 (Stack name must be unique)'
    assert soak.error_text(ValueError('x')) == 'ValueError: x'


def test_wait_until_times_out():
    sleeps = []
    with pytest.raises(soak.SoakError, match='timed out after 3 s waiting for cluster c'):
        soak.wait_until(lambda: None, 3, 0.5, 'cluster c', clock=fake_clock(),
                        sleep=sleeps.append)
    assert sleeps and set(sleeps) == {0.5}
    assert soak.wait_until(lambda: 'x', 3, 0.5, 'y', clock=fake_clock()) == 'x'


def test_tool_bounds_the_whole_soak():
    args = soak.parse_args(['clusters', '-n', '10', '--timeout', '100'])
    assert tool.deadline(args) == 10 * (100 + tool.SLACK) + tool.SLACK


def test_tool_runs_the_soak_in_the_openstack_venv(tmp_path, monkeypatch):
    monkeypatch.setenv('OS_CLOUD', 'elsewhere')
    settings = config.settings_from_env({'LOCALCLOUD_HOME': str(tmp_path)})
    argv = tool.command(settings, ['stacks', '--parallel', '20'])
    assert argv[:3] == [str(settings.venv('openstack') / 'bin' / 'python'), '-m',
                        'lc.runtime.soak']
    assert argv[3:] == ['stacks', '--parallel', '20']
    env = tool.environment(settings)
    assert env['OS_CLOUD'] == 'localcloud'
    assert env['OS_CLIENT_CONFIG_FILE'] == str(settings.clouds_yaml)
    assert env['PYTHONPATH'] == str(config.TOOL_DIR)


def test_cli_soak_without_a_cloud(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('LOCALCLOUD_HOME', str(tmp_path))
    assert cli.main(['soak', 'clusters', '-n', '1']) == 1
    assert 'no state' in capsys.readouterr().out
