"""The built docs site (``make docs``) opened in a real headless browser: Debian's chromium through selenium.

The site is served over HTTP from 127.0.0.1 (a thread of this test) so that a missing page or asset is a real 404.
The browser opens the index and a module page and checks what a reader sees; then it follows every internal link
of every page, and each must load (HTTP 200) and, when it names an anchor, land on an element with that id.
Run with ``make docs-test`` after ``make docs``.
"""

import functools
import http.server
import pathlib
import shutil
import threading
import urllib.parse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = pathlib.Path(__file__).resolve().parents[2]
SITE = ROOT / '.tmp' / 'docs' / 'html'
GUIDES = sorted(p.stem for p in (ROOT / 'docs').glob('*.md'))
MODULES = sorted(p.stem for p in (ROOT / 'plugins' / 'modules').glob('*.py') if p.stem != '__init__')
ROLES = sorted(p.name for p in (ROOT / 'roles').iterdir() if (p / 'meta' / 'argument_specs.yml').is_file())


class Handler(http.server.SimpleHTTPRequestHandler):
    statuses = []

    def log_request(self, code='-', size='-'):
        self.statuses.append((int(getattr(code, 'value', code)), urllib.parse.urlsplit(self.path).path))

    def log_message(self, format, *args):  # noqa: A002 (the base class's name); quiet
        pass


@pytest.fixture(scope='module')
def site():
    assert (SITE / 'index.html').is_file(), 'no site in %s: run make docs first' % SITE
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d/' % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope='module')
def browser():
    chromium = shutil.which('chromium')
    driver = shutil.which('chromedriver') or '/usr/lib/chromium/chromedriver'
    assert chromium and pathlib.Path(driver).is_file(), 'needs Debian chromium and chromium-driver (apt-get install)'
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1280,1024'):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def links(browser):
    """The href of every <a> on the page, resolved by the browser."""
    return browser.execute_script('return Array.from(document.querySelectorAll("a[href]"), a => a.href)')


def test_index_renders(site, browser):
    browser.get(site)
    assert 'cloudrise.openstack' in browser.title
    assert browser.find_element(By.TAG_NAME, 'h1').text.startswith('cloudrise.openstack')
    nav = browser.find_element(By.CSS_SELECTOR, 'nav').text
    # Every guide in docs/ is on the site, under its own title, and so is the collection's index.
    targets = {urllib.parse.urlsplit(h).path for h in links(browser)}
    for guide in GUIDES:
        assert '/guides/%s.html' % guide in targets, guide
    assert '/collection/index.html' in targets
    assert 'Getting started' in nav


def test_module_page_renders(site, browser):
    browser.get(site + 'collection/stack_module.html')
    assert browser.title.startswith('cloudrise.openstack.stack module')
    heading = browser.find_element(By.TAG_NAME, 'h1').text
    assert 'cloudrise.openstack.stack module' in heading
    tables = browser.find_elements(By.CSS_SELECTOR, 'table.ansible-option-table')
    assert len(tables) >= 2, 'the parameter and return value tables'
    options = {e.text.split('\n')[0].strip() for e in tables[0].find_elements(By.CSS_SELECTOR, 'div.ansible-option-cell p strong')}
    assert {'name', 'template', 'parameters', 'state', 'cloud'} <= options, sorted(options)
    assert tables[0].is_displayed()
    page = browser.find_element(By.TAG_NAME, 'body').text
    assert 'See Also' in page and 'openstack.cloud.stack' in page


def test_every_internal_link_resolves(site, browser):
    Handler.statuses.clear()
    seen, queue, broken, pages = set(), [site], [], 0
    anchors = {}
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        browser.get(url)
        pages += 1
        ids = set(browser.execute_script('return Array.from(document.querySelectorAll("[id]"), e => e.id)'))
        ids |= set(browser.execute_script('return Array.from(document.querySelectorAll("a[name]"), e => e.name)'))
        anchors[url] = ids
        for href in links(browser):
            target, fragment = urllib.parse.urldefrag(href)
            if not target.startswith(site):
                continue
            if fragment:
                anchors.setdefault((target, fragment), url)
            if target not in seen and target.endswith(('.html', '/')):
                queue.append(target)
    for key, source in list(anchors.items()):
        if isinstance(key, tuple):
            target, fragment = key
            if target in anchors and urllib.parse.unquote(fragment) not in anchors[target]:
                broken.append('%s links to a missing anchor %s#%s' % (source, target, fragment))
    # (the browser asks for /favicon.ico by itself; the site has none and links none)
    missing = sorted({path for status, path in Handler.statuses if status >= 400 and path != '/favicon.ico'})
    assert not missing, 'HTTP errors (pages, styles, scripts, images): %s' % missing
    assert not broken, '\n'.join(broken)
    # The crawl reached every guide, module page and role page from the index, by links alone.
    paths = {urllib.parse.urlsplit(u).path for u in seen}
    expected = {'/guides/%s.html' % g for g in GUIDES} | {'/collection/%s_module.html' % m for m in MODULES}
    expected |= {'/collection/%s_role.html' % r for r in ROLES}
    assert not expected - paths, sorted(expected - paths)
    assert pages == len(paths) >= len(expected)
