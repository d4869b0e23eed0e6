#!/usr/bin/python3
"""The console (GET /console) in a real browser: Debian's Chromium, headless, driven by
Selenium through chromedriver. A private redis-server on a unix socket and the real ticketd with
auth on; the page is checked as an operator uses it: it asks for a token, shows queues and
agents, follows the event feed live (through a stream token), and looks a ticket up with its
explain view. Every wait is on a condition in the page, never a fixed sleep.
    tests/ops/console_test.py TICKETD_BINARY"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ADMIN = "console-admin-secret-0123"
AGENT = "console-agent-secret-ada1"
WAIT_S = 20


def until(what, condition, timeout=WAIT_S):
    """Polls `condition` (a callable) until it returns something true; fails naming `what`. An
    element the page replaced meanwhile counts as not yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


class Daemon:
    """redis-server and ticketd in `work`; stop() ends whatever start() got to start."""

    def __init__(self, ticketd, work):
        self.ticketd_binary = ticketd
        self.work = work
        self.redis = self.ticketd = self.log = None
        self.log_path = os.path.join(work, "ticketd.log")

    def start(self):
        work = self.work
        sock = os.path.join(work, "redis.sock")
        self.redis = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly",
             "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        until("redis-server", lambda: subprocess.run(
            ["redis-cli", "-s", sock, "ping"], capture_output=True, text=True).stdout.strip()
            == "PONG")
        config = os.path.join(work, "ticketd.yaml")
        with open(config, "w") as f:
            f.write(f"""workspace: console
server: {{listen: 127.0.0.1:0, threads: 1, state_dir: {work}, access_log: true}}
redis: {{url: unix://{sock}, connections: 1}}
queues:
  general: {{mode: pull}}
  billing: {{mode: pull}}
defaults: {{queue: general, priority: normal}}
auth:
  tokens:
    - {{name: ops, role: admin, token_env: T_ADMIN}}
    - {{name: ada, role: agent, agent: ada, token_env: T_ADA}}
""")
        env = dict(os.environ, T_ADMIN=ADMIN, T_ADA=AGENT)
        self.log = open(self.log_path, "w")
        self.ticketd = subprocess.Popen([self.ticketd_binary, "--config", config], stdout=self.log,
                                        stderr=subprocess.STDOUT, env=env)

        def port():
            assert self.ticketd.poll() is None, "ticketd exited:\n" + self.read_log()
            m = re.search(r"listening on http://[^ ]*:(\d+)", self.read_log())
            return m and m.group(1)
        self.url = "http://127.0.0.1:" + until("ticketd to listen", port)
        until("ticketd to be ready", lambda: self.call("GET", "/readyz")[0] == 200)

    def read_log(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path) as f:
            return f.read()

    def call(self, method, path, body=None, token=ADMIN):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        for p in (self.ticketd, self.redis):
            if p is None:
                continue
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.log is not None:
            self.log.close()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def main():
    ticketd = sys.argv[1]
    work = tempfile.mkdtemp(prefix="ticketd-console.")
    d = Daemon(ticketd, work)
    driver = None
    try:
        d.start()
        def ok(status_body, expected):
            status, body = status_body
            assert status == expected, f"expected {expected}, got {status}: {body}"

        ok(d.call("PUT", "/v1/agents/ada",
                  {"name": "Ada", "queues": ["general"], "status": "online",
                   "max_concurrent": 3}), 200)
        ok(d.call("POST", "/v1/tickets", {"id": "T-1"}), 201)
        ok(d.call("POST", "/v1/tickets", {"id": "T-2", "queue": "billing"}), 201)

        # The files: the page, its script and its style, with a policy that allows only them.
        with urllib.request.urlopen(d.url + "/console", timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
            with urllib.request.urlopen(d.url + "/console/" + name, timeout=10) as r:
                assert r.headers["Content-Type"].startswith(kind), (name, r.headers)

        driver = browser()
        find = driver.find_element
        text_of = lambda css: (driver.find_elements(By.CSS_SELECTOR, css) or [None])[0]

        def cell(css):
            e = text_of(css)
            return e.text.strip() if e is not None else None

        # Auth is on: the page asks for a token before it shows anything.
        driver.get(d.url + "/console")
        until("the token form", lambda: find(By.ID, "token-form").is_displayed())
        find(By.ID, "token-input").send_keys(ADMIN)
        find(By.ID, "token-submit").click()
        until("the token form to close", lambda: not find(By.ID, "token-form").is_displayed())

        # Queues and agents.
        until("general's depth 1", lambda: cell('#queues tr[data-queue="general"] .depth') == "1")
        until("billing's depth 1", lambda: cell('#queues tr[data-queue="billing"] .depth') == "1")
        until("ada online",
              lambda: cell('#agents tr[data-agent="ada"] .status') == "online")

        # The feed, live: a ticket created now shows up, and the queue follows.
        until("the feed to be live", lambda: cell("#feed-status") == "live")
        ok(d.call("POST", "/v1/tickets", {"id": "T-3"}), 201)
        until("T-3 in the feed", lambda: any(
            "T-3" in li.text for li in driver.find_elements(
                By.CSS_SELECTOR, '#events li[data-type="ticket.queued"]')))
        until("general's depth 2", lambda: cell('#queues tr[data-queue="general"] .depth') == "2")
        ok(d.call("POST", "/v1/agents/ada/next", token=AGENT), 200)
        until("T-1 assigned in the feed", lambda: any(
            "T-1" in li.text for li in driver.find_elements(
                By.CSS_SELECTOR, '#events li[data-type="ticket.assigned"]')))
        until("ada's load 1", lambda: (cell('#agents tr[data-agent="ada"] .load') or "")
              .startswith("1"))

        # A ticket and why it waits.
        find(By.ID, "lookup-input").send_keys("T-3")
        find(By.ID, "lookup-submit").click()
        until("T-3's status", lambda: cell('#ticket [data-field="status"]') == "queued")
        until("T-3's explain: ada may take it",
              lambda: cell('#explain-agents tr[data-agent="ada"] .reasons') == "eligible")
        find(By.ID, "lookup-input").clear()
        find(By.ID, "lookup-input").send_keys("T-404")
        find(By.ID, "lookup-submit").click()
        until("a missing ticket said so",
              lambda: cell("#lookup-status") == "no ticket with id T-404")
        assert not find(By.ID, "ticket").is_displayed()

        # A feed that drops reconnects with a new token (each opens one stream) and misses
        # nothing: a ticket created while it was away shows up once it is back.
        driver.execute_script("feed.es.dispatchEvent(new Event('error'))")
        ok(d.call("POST", "/v1/tickets", {"id": "T-5"}), 201)
        until("T-5 in the feed after the reconnect", lambda: any(
            "T-5" in li.text for li in driver.find_elements(
                By.CSS_SELECTOR, '#events li[data-type="ticket.queued"]')))
        until("the feed live again", lambda: cell("#feed-status") == "live")
        assert re.search(r"GET /v1/events\?access_token=\*\*\*&after=\d+-\d+ 200", d.read_log()), \
            "the feed did not resume after the last event it had"

        # The token lives in the tab's session, nowhere else: a reload asks for nothing.
        assert driver.execute_script("return window.localStorage.length") == 0
        driver.refresh()
        until("the queues again", lambda: cell('#queues tr[data-queue="general"] .depth') == "2")
        assert not find(By.ID, "token-form").is_displayed()
        until("the feed live again", lambda: cell("#feed-status") == "live")

        # An agent's token: the feed is not its to read, and the page says so.
        find(By.ID, "token-clear").click()
        until("the token form", lambda: find(By.ID, "token-form").is_displayed())
        find(By.ID, "token-input").send_keys(AGENT)
        find(By.ID, "token-submit").click()
        until("the feed refused", lambda: "backend or admin" in (cell("#feed-status") or ""))
        assert not driver.find_elements(By.CSS_SELECTOR, "#queues tbody tr"), \
            "the admin's queues stayed on screen after the token was forgotten"

        # Nothing the page did broke its policy or threw: the only errors are the API's answers.
        answered = re.compile(r"the server responded with a status of 40[134]")
        errors = [e for e in driver.get_log("browser")
                  if e["level"] == "SEVERE" and not answered.search(e["message"])]
        assert not errors, errors
        # The access log shows each stream token's URL masked, never a token.
        log = d.read_log()
        assert "access_token=***" in log, "no stream opened with a token was logged"
        assert not re.search(r"st_[0-9a-f]{64}", log), "a stream token reached the log"
        print("console: ok")
    except Exception as e:  # every failure says what the page and ticketd showed
        print("FAIL:", repr(e), file=sys.stderr)
        if driver is not None:
            print("--- page\n" + driver.page_source[:20000], file=sys.stderr)
            print("--- browser log\n" + json.dumps(driver.get_log("browser"))[:5000],
                  file=sys.stderr)
        print("--- ticketd log\n" + d.read_log()[-5000:], file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
