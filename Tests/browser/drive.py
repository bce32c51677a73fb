#!/usr/bin/env python3
"""Drives Debian's headless Chromium through the analysts' queue over the
DevTools protocol (standard library only: a minimal WebSocket client).

    drive.py BASE_URL USER PASSWORD ARTIFACT_DIR

Logs in, filters the queue, opens an alert, assigns it to the user, closes
it, and keeps screenshots. Prints 'N passed, M failed'; exit status 1 on a
failure.
"""
import base64, json, os, re, shutil, socket, struct, subprocess, sys, tempfile, time, urllib.request

BASE, USER, PASSWORD, ARTIFACTS = sys.argv[1:5]
os.makedirs(ARTIFACTS, exist_ok=True)
passed, failed = 0, 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {what}")
    else:
        failed += 1
        print(f"FAIL  {what}")


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol (text frames, client masking)."""

    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("websocket handshake failed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.decode(errors="replace"))
        self.next_id = 0

    def send(self, text):
        data = text.encode()
        header = bytes([0x81])
        n = len(data)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("websocket closed")
            buf += chunk
        return buf

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("websocket closed by peer")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})


def start_chromium():
    profile = tempfile.mkdtemp(prefix="qly-chromium-")
    proc = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-dev-shm-usage", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             "--window-size=1400,1000", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    port = int(open(port_file).read().split()[0])
    for _ in range(100):
        try:
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return proc, profile, pages[0]["webSocketDebuggerUrl"]
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("no page target")


def main():
    proc, profile, ws_url = start_chromium()
    try:
        ws = WebSocket(ws_url)
        ws.call("Page.enable")
        ws.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)

        def js(expr):
            r = ws.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
            if "exceptionDetails" in r:
                raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
            return r.get("result", {}).get("value")

        def wait_for(expr, what, timeout=20):
            end = time.time() + timeout
            while time.time() < end:
                try:
                    if js(expr):
                        return True
                except RuntimeError:
                    pass
                time.sleep(0.1)
            return False

        def navigate(url):
            ws.call("Page.navigate", url=url)
            wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", url)

        def submit_and_wait(form_js, expect_js, what):
            before = js("performance.timeOrigin")
            js(form_js)
            ok = wait_for(f"performance.timeOrigin !== {before} && document.readyState === 'complete' && ({expect_js})", what)
            check(ok, what)
            return ok

        def screenshot(name, full=False):
            params = {"format": "png"}
            if full:
                h = js("Math.min(document.documentElement.scrollHeight, 4000)")
                params["clip"] = {"x": 0, "y": 0, "width": 1400, "height": h, "scale": 1}
                params["captureBeyondViewport"] = True
            data = ws.call("Page.captureScreenshot", **params)["data"]
            path = os.path.join(ARTIFACTS, name)
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
            check(os.path.getsize(path) > 10000, f"screenshot {path}")

        # 1. log in
        navigate(BASE + "/queue")
        check(js("location.pathname") == "/login", "an anonymous visitor is sent to the login page")
        submit_and_wait(f"""document.querySelector('input[name=username]').value = {json.dumps(USER)};
                            document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};
                            document.getElementById('login').submit();""",
                        "location.pathname === '/queue' && !!document.getElementById('rows')", "log in lands on the queue")
        rows = js("document.querySelectorAll('#rows tr').length")
        check(rows and rows > 10, f"the queue lists alerts ({rows})")
        check(js("document.documentElement.lang") == "zh-CN", "Chinese by default")
        screenshot("queue.png")

        # 2. filter: rule split-payments, new alerts
        submit_and_wait("""const f = document.getElementById('filters');
                           f.querySelector('select[name=rule]').value = 'split-payments';
                           f.querySelector('select[name=status]').value = 'new';
                           f.submit();""",
                        "location.search.includes('rule=split-payments')", "filter the queue by rule and status")
        titles = js("Array.from(document.querySelectorAll('#rows tr td:nth-child(6) a')).map(a => a.title)")
        check(titles and all(t == "split-payments" for t in titles), f"only split-payments alerts are listed ({len(titles or [])})")
        text = js("document.body.innerText")
        check(not re.search(r"\b\d{17}[\dX]\b", text or ""), "no unmasked resident id on the queue")
        screenshot("queue-filtered.png")

        # 3. open the first alert
        submit_and_wait("document.querySelector('#rows tr a.sumlink').click();",
                        "location.pathname.startsWith('/alerts/') && !!document.getElementById('evidence')", "open an alert")
        check(js("!!document.getElementById('figures') && !!document.getElementById('history')"), "the alert shows figures and history")
        check(js("document.querySelectorAll('#evidence .ev').length") >= 1, "the evidence timeline has events")
        check(not re.search(r"\b\d{17}[\dX]\b", js("document.body.innerText") or ""), "no unmasked resident id on the alert page")
        screenshot("alert.png", full=True)

        # 4. assign to me
        submit_and_wait("document.getElementById('assign-me').click();",
                        f"document.getElementById('assignee').textContent.trim() === {json.dumps(USER)}", "assign the alert to me")

        # 5. close as false positive with a reason
        submit_and_wait("""const f = document.getElementById('f-close');
                           f.querySelector('select[name=disposition]').value = 'false_positive';
                           f.querySelector('textarea[name=reason]').value = '两笔为同一工程分期付款，已有审批单 (browser test)';
                           f.submit();""",
                        "!!document.querySelector('h1 .st-closed')", "close the alert as a false positive")
        history = js("document.getElementById('history').innerText")
        check("browser test" in (history or "") and USER in (history or ""), "the history shows the close with who and why")
        screenshot("alert-closed.png", full=True)

        # 6. English on request
        navigate(BASE + "/queue?lang=en")
        check(js("document.documentElement.lang") == "en" and "Alert queue" in js("document.body.innerText"), "English with ?lang=en")
        navigate(BASE + "/overview?lang=zh")
        check(js("!!document.getElementById('heatmap') && !!document.getElementById('rulebars')"), "the integrity map draws its charts")
        screenshot("overview.png", full=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
