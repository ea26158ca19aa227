"""Debian's headless chromium driven by Selenium, trusting exactly the CAs a test gives it.

Chromium on Linux takes locally added trust anchors from the user's NSS database,
``$HOME/.pki/nssdb``. Each Browser gets a fresh HOME with a new NSS database (made by
``certutil`` from libnss3-tools) holding only the given CA certificates, and a fresh
profile directory, so what it accepts is decided by those CAs and its own root store.

    with Browser(ca_files=[ca_crt], host_rules="MAP ecss.example.test 127.0.0.1") as browser:
        page = browser.load("https://ecss.example.test:8088/")
        page.trusted, page.title, page.text
"""

import os
import shutil
import subprocess
import tempfile

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# What works here as root, without a display, offline.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,900")
ERROR_TITLES = ("Privacy error",)


class Page(object):
    def __init__(self, url, title, text, source):
        self.url, self.title, self.text, self.source = url, title, text, source
        # Chromium's interstitial for a certificate it rejects: "Your connection is not private".
        self.certificate_error = next((word for word in source.split() if "ERR_CERT_" in word), None)
        self.trusted = title not in ERROR_TITLES and self.certificate_error is None

    def __repr__(self):
        return "Page(%s, title=%r, trusted=%s, error=%s, text=%r)" % (
            self.url, self.title, self.trusted, self.certificate_error, self.text[:200])


def nss_database(home, ca_files):
    """``home/.pki/nssdb`` with ``ca_files`` trusted to identify web servers."""
    database = os.path.join(home, ".pki", "nssdb")
    os.makedirs(database)
    subprocess.run(["certutil", "-N", "-d", "sql:" + database, "--empty-password"], check=True,
                   capture_output=True)
    for index, path in enumerate(ca_files):
        subprocess.run(["certutil", "-A", "-d", "sql:" + database, "-t", "C,,", "-n", "test-ca-%d" % index,
                        "-i", path], check=True, capture_output=True)
    return database


class Browser(object):
    def __init__(self, ca_files=(), host_rules=None):
        self.ca_files = list(ca_files)
        self.host_rules = host_rules
        self.driver = None
        self.workdir = None

    def __enter__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.workdir = tempfile.mkdtemp(prefix="ecss-browser-")
        home = os.path.join(self.workdir, "home")
        nss_database(home, self.ca_files)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + ("--user-data-dir=" + os.path.join(self.workdir, "profile"),):
            options.add_argument(flag)
        if self.host_rules:
            options.add_argument("--host-resolver-rules=" + self.host_rules)
        service = Service(CHROMEDRIVER, env=dict(os.environ, HOME=home))
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_page_load_timeout(30)
        return self

    def __exit__(self, *exc_info):
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def load(self, url):
        self.driver.get(url)
        body = self.driver.find_elements("tag name", "body")
        return Page(url, self.driver.title, body[0].text if body else "", self.driver.page_source)

    def rows(self, css):
        return self.driver.find_elements("css selector", css)

    def screenshot(self, path):
        """The whole page, not only the window: the window grows to the page's height first."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(900, min(int(height) + 40, 16000)))
        self.driver.save_screenshot(path)
        return path
