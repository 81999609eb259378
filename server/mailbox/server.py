"""The SMTP server of `eseller smtpd` (aiosmtpd).

- RCPT to an address that is no group's mailbox: `550 5.1.1`, so the sender knows at once (a mail
  accepted for nobody would be a silent loss);
- DATA: `250` only after `receive` has committed; on an unexpected error `451 4.3.0`, so that the
  sending server keeps the message and retries;
- over `ESELLER_SMTP_MAX_BYTES` (10 MiB by default) aiosmtpd answers `552` itself, before we store anything.

Database work is blocking: it runs in a thread pool, never on the event loop that serves the
other connections.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from server.mailbox.service import is_known_mailbox, receive

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_RECIPIENTS = 50
WORKER_THREADS = 8


class MailboxHandler:
    """aiosmtpd handler: refuses unknown mailboxes, stores and captures what it accepts."""

    def __init__(self, app: Flask, executor: ThreadPoolExecutor | None = None) -> None:
        self.app = app
        self.executor = executor or ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="smtpd")

    def _known(self, address: str) -> bool:
        with self.app.app_context():
            return is_known_mailbox(address)

    def _receive(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> int:
        with self.app.app_context():
            return len(receive(raw, mail_from, rcpt_tos))

    async def _in_thread(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, func, *args)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            known = await self._in_thread(self._known, address)
        except Exception:
            log.exception("mailbox lookup failed")
            return "451 4.3.0 Mailbox lookup failed, try again later"
        if not known:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):  # only when decode_data is on; we keep bytes as received
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            await self._in_thread(self._receive, bytes(raw), envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:
            log.exception("storing an inbound message failed; the sender will retry")
            return "451 4.3.0 Temporary failure, please retry later"
        return "250 OK"


def max_bytes(app: Flask) -> int:
    """ESELLER_SMTP_MAX_BYTES (config SMTP_MAX_BYTES), 10 MiB by default."""
    return int(app.config.get("SMTP_MAX_BYTES") or DEFAULT_MAX_BYTES)


def make_controller(app: Flask, host: str = "127.0.0.1", port: int = 2525) -> Controller:
    """A started-on-demand SMTP server (its own thread and event loop): `.start()`, `.stop()`."""
    return Controller(
        MailboxHandler(app),
        hostname=host,
        port=port,
        # The greeting's name; socket.getfqdn() can stall for seconds on machines without DNS.
        server_hostname=app.config.get("SMTP_HOSTNAME") or "eseller",
        data_size_limit=max_bytes(app),
        enable_SMTPUTF8=True,
        decode_data=False,
        ident="eSeller mailbox",
    )


def run_smtpd(app: Flask, host: str = "127.0.0.1", port: int = 2525) -> None:
    """Serve until SIGTERM or SIGINT (the `eseller smtpd` command)."""
    controller = make_controller(app, host, port)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_args: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    controller.start()
    log.info("eSeller mailbox listening on smtp://%s:%s", host, port)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
        controller.handler.executor.shutdown(wait=True)  # let messages being stored finish
        for sig, handler in previous.items():
            signal.signal(sig, handler)
