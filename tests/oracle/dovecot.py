"""Debian's Dovecot as an unprivileged process on loopback: a generated
config (maildir in a temporary directory, passdb passwd-file), no root
(when the tests run as root, Dovecot runs as nobody via setpriv)."""
import os
import pwd
import shutil
import socket
import subprocess
import time

DOVECOT = "/usr/sbin/dovecot"


def available():
    return os.path.exists(DOVECOT) and os.access(DOVECOT, os.X_OK)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Dovecot:
    def __init__(self, directory, users=(("alice", "secret"),)):
        self.dir = os.path.abspath(directory)
        self.users = users
        self.port = _free_port()
        self.proc = None

    def start(self, timeout=20):
        d = self.dir
        for sub in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("nobody")
        else:
            pw = pwd.getpwuid(os.getuid())
        import grp
        group = grp.getgrgid(pw.pw_gid).gr_name
        with open(os.path.join(d, "passwd"), "w") as f:
            for u, p in self.users:
                f.write("%s:{PLAIN}%s\n" % (u, p))
        conf = f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
info_log_path = {d}/log
default_login_user = {pw.pw_name}
default_internal_user = {pw.pw_name}
default_internal_group = {group}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{d}/mail/%u
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={pw.pw_uid} gid={pw.pw_gid} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        with open(os.path.join(d, "dovecot.conf"), "w") as f:
            f.write(conf)
        cmd = [DOVECOT, "-F", "-c", os.path.join(d, "dovecot.conf")]
        if os.geteuid() == 0:
            for root, dirs, files in os.walk(d):
                for n in dirs + files:
                    os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
            os.chown(d, pw.pw_uid, pw.pw_gid)
            cmd = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                   "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.time() + timeout
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise AssertionError("dovecot did not start: " + self.log_text())

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
