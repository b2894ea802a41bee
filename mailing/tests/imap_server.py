"""A real IMAP server for the tests: Debian's dovecot, started with a throwaway configuration
and mailbox in a temporary directory, on a port of this checkout's range (8180-8189).

`Dovecot(certificate=pair, ca=path)` speaks implicit TLS (IMAPS, the bounce mailbox's default)
with that certificate instead of plain IMAP; `ca` is what the helper's own connections trust.

Run as root (CI), the master stays root and the login and mail processes drop to Debian's
dovecot, dovenull and nobody users; run as anyone else, everything is that user's.
"""

import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from core.tests.tools import require_tools
from mailing.tests.certificates import Pair

PORTS = range(8180, 8190)
USER, PASSWORD = "bounces@mail.example", "mailbox-secret"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            # As dovecot binds: a port whose old connections wait in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _users() -> dict[str, str]:
    if os.geteuid() != 0:
        me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        return {"internal": me, "internal_group": group, "login": me, "mail_uid": me, "mail_gid": group}
    return {
        "internal": "dovecot",
        "internal_group": "dovecot",
        "login": "dovenull",
        "mail_uid": "nobody",
        "mail_gid": "nogroup",
    }


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self, *, certificate: Pair | None = None, ca: Path | None = None):
        # Its own directory, not pytest's tmp_path: dovecot's unprivileged processes must be
        # able to reach the password file and the mailbox, and pytest's directories are 0700.
        self.root = Path(tempfile.mkdtemp(prefix="mailing-dovecot-"))
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.certificate = certificate
        self.ca = ca

    def _ssl_config(self) -> str:
        if self.certificate is None:
            return "ssl = no"
        cert, key = self.root / "server.pem", self.root / "server.key"
        shutil.copyfile(self.certificate.cert, cert)
        shutil.copyfile(self.certificate.key, key)
        return f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}"

    def start(self) -> "Dovecot":
        require_tools("dovecot", purpose="the bounce mailbox tests", install="apt-get install dovecot-imapd")
        users = _users()
        for name in ("run", "state", "home"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root / "home", users["mail_uid"], users["mail_gid"])
        os.chmod(self.root, 0o755)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.port = _free_port()
        config = self.root / "dovecot.conf"
        tls = self.certificate is not None
        config.write_text(
            CONFIG.format(
                root=self.root,
                ssl=self._ssl_config(),
                imap_port=0 if tls else self.port,
                imaps_port=self.port if tls else 0,
                **users,
            )
        )
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                imap = self.connect()
            except OSError:
                if self.process.poll() is not None:
                    error = self.process.stderr.read().decode()
                    self.stop()
                    raise RuntimeError(f"dovecot stopped: {error}") from None
                time.sleep(0.2)
                continue
            except imaplib.IMAP4.error as error:
                log = self.log()
                self.stop()
                raise RuntimeError(f"dovecot refused the test login ({error}): {log}") from None
            imap.logout()
            return self
        log = self.log()
        self.stop()
        raise RuntimeError(f"dovecot did not answer on {self.port}: {log}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def connect(self) -> imaplib.IMAP4:
        if self.certificate is None:
            imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        else:
            context = ssl.create_default_context(cafile=self.ca)
            # The helper reads its own server, whose certificate may be for another host on purpose.
            context.check_hostname = False
            imap = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, data: bytes, folder: str = "INBOX") -> None:
        imap = self.connect()
        try:
            status, _ = imap.append(folder, None, None, data)
            assert status == "OK"
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """Each message's flags, in UID order (a test reads them without touching them)."""
        imap = self.connect()
        try:
            imap.select(folder, readonly=True)
            _, found = imap.uid("SEARCH", None, "ALL")
            result = []
            for uid in found[0].split():
                _, data = imap.uid("FETCH", uid, "(FLAGS)")
                text = data[0].decode()
                inner = text[text.index("FLAGS (") + 7 :].split(")", 1)[0]
                result.append(set(inner.split()))
            return result
        finally:
            imap.logout()
