"""Headless Chromium opens the demo's /chat page twice over https, one page sends a
message, and the other must list it: the page's script, the browser's WebSocket client
(TLS, permessage-deflate as Chromium offers it) and the server's room, end to end.

The browser is driven over the Chrome DevTools Protocol, itself a WebSocket, with the
`websockets` client.

usage: chat.py HOST:PORT   (the server's TLS address)
"""

import json
import re
import subprocess
import sys
import tempfile
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

DEADLINE = 20.0


class Browser:
    """One headless Chromium, and a DevTools connection to it."""

    def __init__(self, profile: str):
        self.devtools = None
        self.next_id = 0
        self.process = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--ignore-certificate-errors",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = None
        seen = []
        until = time.monotonic() + DEADLINE
        while url is None and time.monotonic() < until:
            line = self.process.stderr.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                url = match.group(1)
        if url is None:
            self.process.kill()
            raise SystemExit("chat: chromium did not start:\n" + "".join(seen[-20:]))
        self.url = url

    def call(self, method: str, session: str | None = None, **params):
        """Sends one command and returns its result, skipping events."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.devtools.send(json.dumps(message))
        while True:
            reply = json.loads(self.devtools.recv(timeout=DEADLINE))
            if reply.get("id") != self.next_id:
                continue
            if "error" in reply:
                raise SystemExit(f"chat: {method} failed: {reply['error']}")
            return reply["result"]

    def open(self, url: str) -> str:
        """Opens `url` in a new page; returns the page's session."""
        target = self.call("Target.createTarget", url=url)["targetId"]
        return self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def evaluate(self, session: str, expression: str):
        result = self.call(
            "Runtime.evaluate", session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise SystemExit(f"chat: {expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str, what: str):
        until = time.monotonic() + DEADLINE
        while time.monotonic() < until:
            if self.evaluate(session, expression):
                return
            time.sleep(0.1)
        status = self.evaluate(session, "document.getElementById('status')?.textContent")
        raise SystemExit(f"chat: timed out waiting for {what} (page status: {status!r})")

    def close(self):
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main() -> None:
    address = sys.argv[1]
    url = f"https://{address}/chat"
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(profile)
        try:
            with connect(browser.url, max_size=None, open_timeout=DEADLINE) as devtools:
                browser.devtools = devtools
                check_chat(browser, url)
        finally:
            browser.close()
    print("chat: the second page shows the first page's message")


def check_chat(browser: Browser, url: str) -> None:
    alice = browser.open(url)
    bob = browser.open(url)
    connected = "document.getElementById('status')?.textContent === 'connected'"
    browser.wait_for(alice, connected, "the first page to connect")
    browser.wait_for(bob, connected, "the second page to connect")
    text = "hello from the first page"
    browser.evaluate(
        alice,
        f"document.getElementById('text').value = {json.dumps(text)};"
        "document.getElementById('form').requestSubmit(); true",
    )
    listed = (
        "Array.from(document.querySelectorAll('#log li'))"
        f".some(li => li.textContent === {json.dumps(text)})"
    )
    browser.wait_for(bob, listed, "the message on the second page")
    browser.wait_for(alice, listed, "the message on the first page")
    scheme = browser.evaluate(bob, "location.protocol")
    if scheme != "https:":
        raise SystemExit(f"chat: the page came over {scheme}, not https")
    try:
        browser.call("Browser.close")
    except ConnectionClosed:  # the browser may hang up before it answers
        pass
    browser.devtools = None


if __name__ == "__main__":
    main()
