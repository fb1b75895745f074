"""benchmarks/bench.py's bookkeeping: the request recorder, ratios round by round, the generated doc section."""

import http.server
import pathlib
import sys
import threading

import pytest

BENCH_DIR = pathlib.Path(__file__).resolve().parents[3] / 'benchmarks'
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import bench  # noqa: E402  pylint: disable=wrong-import-position


class Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % httpd.server_address[1]
    httpd.shutdown()


def test_every_request_of_a_child_process_is_recorded_by_method_and_service(tmp_path, server):
    runner = bench.Runner(tmp_path, catalog={'orchestration': server + '/v1/abc'})
    code = ('import http.client, sys; c = http.client.HTTPConnection(sys.argv[1].split("//")[1]);\n'
            'for m in ("GET", "GET", "POST", "DELETE"):\n'
            '    c.request(m, "/v1/abc/stacks?x=1"); c.getresponse().read()')
    sample = runner.run([sys.executable, '-c', code, server], runner.env())
    assert not sample.failed, sample.output
    assert sample.requests == {'GET': 2, 'POST': 1, 'DELETE': 1, 'orchestration GET': 2, 'orchestration POST': 1,
                               'orchestration DELETE': 1}
    # the next run records into its own log
    assert runner.run([sys.executable, '-c', 'pass'], runner.env()).requests == {}


def test_a_play_recap_gives_changed_and_failed(tmp_path):
    runner = bench.Runner(tmp_path, catalog={})
    recap = ('localhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=0    '
             'rescued=0    ignored=0')
    sample = runner.run([sys.executable, '-c', 'print(%r)' % recap], runner.env())
    assert (sample.changed, sample.failed) == (1, False)
    sample = runner.run([sys.executable, '-c', 'print(%r)' % recap.replace('failed=0', 'failed=1')], runner.env())
    assert sample.failed
    with pytest.raises(SystemExit, match='changed=1, expected False'):
        bench.check(runner.run([sys.executable, '-c', 'print(%r)' % recap], runner.env()), 'x', changed=False)


def test_ratios_are_taken_round_by_round_over_the_rounds_all_rows_have():
    table = bench.Table()
    for seconds in (2.0, 6.0, 3.0):
        table.add_value('heat', 'create', 'ours', seconds)
    for seconds in (1.0, 1.0):
        table.add_value('heat', 'create', 'sdk', seconds)
        table.add_value('heat', 'noop', 'ours', seconds)
    table.ratio('heat', 'create: ours / (sdk + noop)', ('create', 'ours'), [('create', 'sdk'), ('noop', 'ours')], 1.0)
    assert table.ratios[0]['values'] == [1.0, 3.0]
    assert bench.summary(table.ratios[0]['values']) == (2.0, 1.0, 3.0)


def test_requests_are_the_median_per_method_and_the_rotation_moves_every_variant():
    samples = [dict(requests={'GET': 4, 'POST': 1, 'heat GET': 4}), dict(requests={'GET': 6, 'POST': 1}),
               dict(requests={'GET': 5})]
    assert bench.fmt_requests(samples) == '6 (GET 5, POST 1)'
    assert [bench.rotate(['a', 'b', 'c'], i) for i in range(4)] == [['a', 'b', 'c'], ['b', 'c', 'a'],
                                                                    ['c', 'a', 'b'], ['a', 'b', 'c']]


def test_the_generated_section_is_replaced_and_the_rest_of_the_doc_kept(tmp_path):
    doc = tmp_path / 'performance.md'
    doc.write_text('# Performance\n\nIntro.\n\n## Fleet\n\nHand-written.\n')
    bench.write_doc('%s\nfirst\n%s\n' % (bench.START_MARK, bench.END_MARK), doc)
    assert doc.read_text() == ('# Performance\n\n%s\nfirst\n%s\n\nIntro.\n\n## Fleet\n\nHand-written.\n'
                               % (bench.START_MARK, bench.END_MARK))
    bench.write_doc('%s\nsecond\n%s\n' % (bench.START_MARK, bench.END_MARK), doc)
    text = doc.read_text()
    assert 'second' in text and 'first' not in text and text.endswith('## Fleet\n\nHand-written.\n')
    assert text.count(bench.START_MARK) == 1
