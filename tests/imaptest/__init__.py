"""imaptest - shared helpers for the protocol and client test suites.

Creates images with imapctl, starts the real imapd on a free loopback port
(port 0: imapd picks one and prints it), waits for its "listening" line,
stops it with SIGTERM and checks that it exits 0 (under ASan a leak makes
that fail).  Binaries come from $IMAPD_BIN / $IMAPCTL_BIN (set by ctest),
else from build/host/bin.
"""
import imaplib
import os
import re
import signal
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAPD = os.environ.get("IMAPD_BIN") or os.path.join(ROOT, "build/host/bin/imapd")
IMAPCTL = os.environ.get("IMAPCTL_BIN") or os.path.join(ROOT, "build/host/bin/imapctl")

# Sanitizer builds are slower: allow for it in every wait.
SLOW = 4 if "asan" in IMAPD or "qemu" in IMAPD else 1
# The firmware under QEMU (IMAPD_BIN=tools/qemu-run): tests of what only the
# host daemon has (config file, IPv6, its RSS, 64 sessions) skip themselves.
FIRMWARE = "qemu" in os.path.basename(IMAPD)
# The daemon on lwIP (preset host-lwip, build/host-lwip/bin/imapd): host
# ports are forwarded into lwIP by libslirp, IPv4 only.  At SIGTERM it
# checks lwIP's statistics and exits 3 if anything leaked; with
# $IMAPTEST_LWIP_STATS set, its "lwip stats" lines are appended there.
LWIP = "lwip" in IMAPD
PASSWORD = "secret"


def imapctl(*args, input=None, check=True):
    """Runs imapctl; returns the CompletedProcess (text mode)."""
    if isinstance(input, str):
        input = input.encode()
    r = subprocess.run([IMAPCTL, *map(str, args)], input=input,
                       capture_output=True, timeout=300 * SLOW)
    r.stdout = r.stdout.decode(errors="replace")
    r.stderr = r.stderr.decode(errors="replace")
    if check and r.returncode != 0:
        raise AssertionError(f"imapctl {' '.join(map(str, args))} failed "
                             f"({r.returncode}): {r.stderr}")
    return r


def make_image(directory, users=("alice", "bob"), size="64M", name="mail.img"):
    """A formatted image with users (password PASSWORD) and their INBOX."""
    path = os.path.join(str(directory), name)
    imapctl("format", path, "--size", size)
    for u in users:
        imapctl("user", "add", path, u, input=PASSWORD + "\n")
    return path


def write_mbox(path, messages):
    """Writes an mboxrd file: messages is a list of (from_line_date, bytes)
    with LF line ends; body lines matching >*From get one more '>'."""
    with open(path, "wb") as f:
        for date, msg in messages:
            f.write(b"From sender@example.org " + date.encode() + b"\n")
            lines = msg.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            for line in lines:
                if re.match(rb"^>*From ", line):
                    line = b">" + line
                f.write(line + b"\n")
            f.write(b"\n")
    return path


def crlf(msg):
    """The bytes the store holds for an LF message: CRLF line ends."""
    return msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# ---- Sample mail (LF line ends; the store holds them with CRLF) ----------

SAMPLE = [
    ("Mon Nov 23 09:15:00 2026",
     b"From: Alice <alice@example.org>\nTo: bob@example.org\n"
     b"Subject: first message\nDate: Mon, 23 Nov 2026 09:15:00 +0000\n"
     b"Message-ID: <m1@example.org>\n\nHello Bob,\nthis is the first one.\n"),
    ("Tue Nov 24 10:00:00 2026",
     b"From: Carol <carol@example.net>\nTo: alice@example.org\n"
     b"Subject: lunch on thursday\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n"
     b"X-Priority: 1\n\nAre you free for lunch?\n"),
    ("Wed Nov 25 11:30:00 2026",
     b"From: Dave <dave@example.com>\nTo: alice@example.org\n"
     b"Subject: big report\nDate: Wed, 25 Nov 2026 11:30:00 +0000\n\n"
     + b"report line with some words\n" * 400),
]

SEED = [
    ("Mon Nov 23 09:15:00 2026",
     b"From: Alice <alice@example.org>\nTo: alice@example.org\n"
     b"Subject: seed one\nMessage-ID: <s1@example.org>\n\nfirst body\n"),
    ("Tue Nov 24 10:00:00 2026",
     b"From: Bob <bob@example.net>\nTo: alice@example.org\n"
     b"Subject: seed two\nMessage-ID: <s2@example.org>\n\nsecond body\n"),
    ("Wed Nov 25 11:30:00 2026",
     b"From: Carol <carol@example.com>\nTo: alice@example.org\n"
     b"Subject: seed three\nMessage-ID: <s3@example.org>\n\nthird body\n"),
]
WORK = [
    ("Thu Nov 26 08:00:00 2026",
     b"From: Boss <boss@example.com>\nTo: alice@example.org\n"
     b"Subject: work item\nMessage-ID: <w1@example.org>\n\nplease do it\n"),
]


# ---- Response helpers -----------------------------------------------------

def login_select(server, box="INBOX", examine=False):
    r = server.raw()
    r.ok("LOGIN alice secret")
    u = r.ok(("EXAMINE " if examine else "SELECT ") + box)
    return r, u


def fetch_map(untagged):
    """{seq: response} of the FETCH responses among untagged."""
    out = {}
    for u in untagged:
        m = re.match(rb"\* (\d+) FETCH ", u)
        if m:
            out[int(m.group(1))] = u
    return out


def search_result(untagged):
    for u in untagged:
        if u.startswith(b"* SEARCH"):
            return [int(x) for x in u.split()[2:]]
    raise AssertionError(f"no SEARCH response in {untagged!r}")


def apply_expunges(seq_list, untagged):
    """Applies "* n EXPUNGE" responses in order to a list (seq i -> item)."""
    for u in untagged:
        m = re.match(rb"\* (\d+) EXPUNGE$", u)
        if m:
            del seq_list[int(m.group(1)) - 1]
    return seq_list


class Server:
    """One imapd process on a free loopback port."""

    def __init__(self, image, allow_plaintext=True, args=(), listen=None):
        self.image = image
        self.log = []
        self.listening = []
        cmd = [IMAPD, "--image", image]
        for spec in (listen or ["127.0.0.1:0"]):
            cmd += ["--listen", spec]
        if allow_plaintext:
            cmd.append("--allow-plaintext")
        cmd += list(args)
        self.cmd = cmd
        self.proc = None
        self.port = None

    def start(self, timeout=20):
        self.proc = subprocess.Popen(self.cmd, stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL)
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout * SLOW):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("imapd did not start: " + "".join(self.log))
        if self.port is None or len(self.listening) < self._nlisten():
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            raise AssertionError("imapd did not start: " + self.log_text())
        return self

    def _read_log(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            with self._lock:
                self.log.append(line)
            m = re.match(r"imapd: listening on (.*):(\d+)$", line.strip())
            if m:
                self.listening.append((m.group(1).strip("[]"), int(m.group(2))))
                if self.port is None:
                    self.port = int(m.group(2))
                    self.host = m.group(1).strip("[]")
            if self.port is not None and len(self.listening) >= self._nlisten():
                self._ready.set()
        self._ready.set()   # exited: start() reports it

    def _nlisten(self):
        return self.cmd.count("--listen")

    def log_text(self):
        with self._lock:
            return "".join(self.log)

    def wait_log(self, pattern, timeout=10):
        """Waits until a log line matches the regex; returns the match."""
        end = time.monotonic() + timeout * SLOW
        while time.monotonic() < end:
            m = re.search(pattern, self.log_text())
            if m:
                return m
            time.sleep(0.02)
        raise AssertionError(f"no log line matching {pattern!r}:\n{self.log_text()}")

    def stop(self, expect_rc=0, timeout=30):
        """SIGTERM; asserts the exit code (0: clean, no leaks under ASan)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("imapd ignored SIGTERM:\n" + self.log_text())
        self._reader.join(5)
        self.proc = None
        stats = os.environ.get("IMAPTEST_LWIP_STATS")
        if LWIP and stats:
            with open(stats, "a") as f:
                f.write(f"# {os.path.basename(self.cmd[0])}\n")
                f.writelines(l for l in self.log_text().splitlines(True)
                             if "lwip stats:" in l)
        if expect_rc is not None:
            assert rc == expect_rc, f"imapd exit code {rc}:\n{self.log_text()}"
        return rc

    def imap(self):
        """An imaplib connection (greeting read)."""
        return imaplib.IMAP4(self.host, self.port, timeout=60 * SLOW)

    def login(self, user="alice", password=PASSWORD):
        c = self.imap()
        c.login(user, password)
        return c

    def raw(self):
        return Raw(self.host, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc is not None:
            self.stop(expect_rc=0 if exc[0] is None else None)


class Raw:
    """A bare IMAP client over a socket, for exact response order and for
    bad input imaplib would refuse to send."""

    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout * SLOW)
        self.buf = bytearray()
        self.n = 0
        self.greeting = self.line()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise EOFError("connection closed; got " + repr(bytes(self.buf[:200])))
        self.buf += d

    def line(self):
        """One response line without CRLF (literals not expanded)."""
        start = 0
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                break
            start = max(0, len(self.buf) - 1)
            self._fill()
        l = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return l

    def read_exact(self, n):
        parts = []
        while n > 0:
            if not self.buf:
                self._fill()
            k = min(n, len(self.buf))
            parts.append(bytes(self.buf[:k]))
            del self.buf[:k]
            n -= k
        return b"".join(parts)

    def response(self):
        """One response with its literals inline (bytes)."""
        out = []
        while True:
            l = self.line()
            out.append(l)
            m = re.search(rb"\{(\d+)\}$", l)
            if not m:
                return b"".join(out)
            out.append(b"\r\n" + self.read_exact(int(m.group(1))))

    def tag(self):
        self.n += 1
        return f"T{self.n}"

    def cmd(self, text, tag=None):
        """Sends "tag text", returns (untagged responses, tagged line)."""
        tag = tag or self.tag()
        self.send(f"{tag} {text}\r\n")
        return self.until(tag)

    def until(self, tag):
        untagged = []
        t = tag.encode() + b" "
        while True:
            r = self.response()
            if r.startswith(t):
                return untagged, r.decode(errors="replace")
            untagged.append(r)

    def ok(self, text):
        u, t = self.cmd(text)
        assert " OK" in t, f"{text!r} -> {t!r} ({u!r})"
        return u

    def closed(self, timeout=10):
        """True once the server closed the connection (reads what is left)."""
        self.sock.settimeout(timeout * SLOW)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def untagged_has(untagged, pattern):
    """True when some untagged response matches the regex (bytes)."""
    if isinstance(pattern, str):
        pattern = pattern.encode()
    return any(re.search(pattern, u) for u in untagged)


def literal(resp, item):
    """The literal that follows a FETCH item ("BODY[]", "RFC822.HEADER",
    "BODY[]<0>") in one response, or None."""
    if isinstance(item, str):
        item = item.encode()
    m = re.search(re.escape(item) + rb" \{(\d+)\}\r\n", resp)
    if not m:
        return None
    n = int(m.group(1))
    return resp[m.end():m.end() + n]


def flags_of(resp):
    """The set of flags in a FETCH response's FLAGS item, or None."""
    m = re.search(rb"FLAGS \(([^)]*)\)", resp)
    if not m:
        return None
    return set(m.group(1).decode().split())


def proc_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0
