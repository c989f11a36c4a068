#!/usr/bin/env python3
"""The server's doors under a stranger's load, measured on the real binary over loopback.

  python3 scripts/bench-doors.py [target/release/ayada-server] [extra serve flags...]

Prints one JSON object:
- flood: 500 concurrent anonymous enrolments with wrong passwords (7 emails), the server's
  RSS before, at its peak and after, and how each was answered (401 checked, 503 over the
  hashing bound, 429 locked out);
- guesses: 100 wrong passwords for one email in a row, how many were checked (401) before the
  account was locked (429), and the Retry-After it was given.
Only the Python standard library; docs/BENCHMARKS.md records the figures.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/ayada-server"
extra = sys.argv[2:]


def start():
    data = tempfile.mkdtemp()
    env = dict(os.environ, AYADA_PASSWORD="owner-pass-1")
    subprocess.run([binary, "clinic", "create", "--data", data, "--name", "n", "--slug", "n",
                    "--owner-email", "owner@n.example"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([binary, "serve", "--data", data, "--listen", "127.0.0.1:0"] + extra,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    addr = json.loads(server.stdout.readline())["listening"]
    time.sleep(0.5)
    return server, addr


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024


def enroll(addr, email, password="wrong"):
    body = json.dumps({"email": email, "password": password, "local_clinic_id": "x",
                       "node_id": "0190a1b2-0000-7000-8000-000000000001"}).encode()
    req = urllib.request.Request(f"http://{addr}/v1/enroll", data=body,
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("retry-after")
    except OSError as e:
        return type(e).__name__, None


def flood():
    server, addr = start()
    before = rss_mb(server.pid)
    answers, peak = {}, [before]
    lock = threading.Lock()

    def one(i):
        code, _ = enroll(addr, f"o{i % 7}@n.example")
        with lock:
            answers[str(code)] = answers.get(str(code), 0) + 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(500)]
    started = time.time()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], rss_mb(server.pid))
        time.sleep(0.01)
    seconds = time.time() - started
    time.sleep(1)
    after = rss_mb(server.pid)
    server.kill()
    return {"requests": 500, "rss_before_mb": before, "rss_peak_mb": peak[0],
            "rss_after_mb": after, "growth_mb": peak[0] - before, "answers": answers,
            "seconds": round(seconds, 2)}


def guesses():
    server, addr = start()
    checked, retry_after, first_lock = 0, None, None
    for i in range(100):
        code, retry = enroll(addr, "owner@n.example")
        if code == 401:
            checked += 1
        elif code == 429 and first_lock is None:
            first_lock, retry_after = i + 1, retry
    right, _ = enroll(addr, "owner@n.example", "owner-pass-1")
    server.kill()
    return {"tried": 100, "checked_before_lock": checked, "locked_from_guess": first_lock,
            "retry_after_s": retry_after, "right_password_while_locked": right}


print(json.dumps({"flood": flood(), "guesses": guesses()}))
