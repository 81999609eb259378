"""The phone without network (issue 5): a seller opens the inbox and a lead, loses the network, and
still reads both; a note written then waits on the phone with a visible count and reaches the
lead's timeline once, and only once, when the network returns; signing out forgets the kept pages.

Chromium's offline emulation (`context.set_offline`) does not reach a service worker's own fetches
(microsoft/playwright#2311; checked again with this Chromium: the worker still reached the server).
So the browser talks to the live server through a relay this test cuts, as a lost network would,
and the page is put offline too, so that `navigator.onLine` and the page's own requests agree.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Action, Lead, LeadEntry, utcnow
from tests.conftest import PHONE, artifact_path, demo_user, demo_user_id, in_group, sign_in_page
from tests.test_entry import entry, lead_id_of

pytestmark = pytest.mark.slow
GROUP_A = "garage-du-parc"
GROUP_B = "autre-groupe"
WAIT = 20_000  # ms

KEPT_PAGES = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("eseller-pages-")) continue;
    for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""

# Whether the inbox the worker keeps is the one just loaded (it holds this piece of HTML).
KEPT_HOME_WITH = """async (piece) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith("eseller-pages-")) continue;
    const home = await (await caches.open(name)).match(new URL("/home", location.href).href);
    if (home && (await home.text()).includes(piece)) return true;
  }
  return false;
}"""

QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("eseller-outbox");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const read = open.result.transaction("queue").objectStore("queue").getAll();
    read.onsuccess = () => { open.result.close(); resolve(read.result); };
    read.onerror = () => reject(read.error);
  };
})"""

# The same operation put back in the queue, as if its answer had been lost on the way back.
REQUEUE = """(op) => new Promise((resolve, reject) => {
  const open = indexedDB.open("eseller-outbox");
  open.onsuccess = () => {
    const { seq, ...again } = op;
    const tx = open.result.transaction("queue", "readwrite");
    tx.objectStore("queue").add({ ...again, queued: true });
    tx.oncomplete = () => { open.result.close(); resolve(); };
    tx.onerror = () => reject(tx.error);
  };
})"""


class Relay:
    """A TCP relay to the live server that can be cut: every connection dropped, new ones refused."""

    def __init__(self, target: str):
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.cut_off = threading.Event()
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.cut_off.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            with self.lock:
                self.sockets.discard(sock)

    def cut(self) -> None:
        self.cut_off.set()
        with self.lock:
            open_sockets = list(self.sockets)
        self._drop(*open_sockets)

    def restore(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.closed.set()
        self.cut()
        self.listener.close()


def wait_until(page, script: str, arg=None, timeout: float = WAIT / 1000) -> None:
    """Poll a page function (which may be async: page.wait_for_function would take its promise for
    a truthy answer) until it answers true."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script[:120]}"
        time.sleep(0.1)


class Phone:
    """A phone whose network the test can cut: the page, its browser context and the relay."""

    def __init__(self, page, context, relay: Relay):
        self.page, self.context, self.relay, self.base = page, context, relay, relay.url

    def offline(self) -> None:
        self.relay.cut()
        self.context.set_offline(True)

    def online(self) -> None:
        self.relay.restore()
        self.context.set_offline(False)


@contextlib.contextmanager
def signed_in_phone(browser, live_server: str, user: dict, failure_shot: str):
    """A phone signed in through a relay, on a page the service worker controls; fails on any page
    error, and on failure keeps a screenshot and the page's last navigations and messages."""
    relay = Relay(live_server)
    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True,
                                  device_scale_factor=2, service_workers="allow")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    trail: list[str] = []
    page.on("framenavigated", lambda frame: trail.append("nav " + frame.url) if frame == page.main_frame else None)
    page.on("console", lambda message: trail.append(f"console {message.type}: {message.text}"))
    page.on("requestfailed", lambda request: trail.append(f"failed {request.url} {request.failure}"))
    try:
        sign_in_page(page, relay.url, user)
        # The worker installs from the first page (its shell fetched); a page loaded after it is
        # active is one it controls, and the pages it serves from then on are kept.
        wait_until(page, "() => navigator.serviceWorker.getRegistration().then((r) => r?.active?.state === 'activated')",
                   timeout=45)
        page.reload()
        assert page.evaluate("navigator.serviceWorker.controller !== null"), "the worker controls the page"
        yield Phone(page, context, relay)
        assert not problems, problems
    except Exception:
        page.screenshot(path=str(artifact_path(failure_shot)), full_page=True)
        print("FAILURE URL", page.url, page.title())
        print("TRAIL", *trail[-40:], sep="\n  ")
        raise
    finally:
        context.close()
        relay.close()


def entries(app, lead_id: int, kind: str) -> list[LeadEntry]:
    with in_group(app, GROUP_A):
        return list(db.session.execute(
            select(LeadEntry).where(LeadEntry.lead_id == lead_id, LeadEntry.kind == kind)).scalars())


def notes(app, lead_id: int, body: str) -> int:
    with in_group(app, GROUP_A):
        return len(db.session.execute(
            select(LeadEntry.id).where(LeadEntry.lead_id == lead_id, LeadEntry.kind == "note", LeadEntry.body == body)
        ).all())


def test_offline_the_inbox_and_the_lead_stay_readable_and_a_note_syncs_once(browser, live_server, live_worker, app,
                                                                            demo, login):
    seller = demo_user(demo, "a", "seller")
    as_seller = login("a", "seller")
    data, other = entry(), entry()
    lead_id = lead_id_of(as_seller.post("/leads/new", data=data))  # the seller's own lead, at once
    other_id = lead_id_of(as_seller.post("/leads/new", data=other))
    name = data["last_name"]
    with in_group(app, GROUP_B):
        theirs = db.session.execute(select(Lead.id).limit(1)).scalar_one()
    note = f"Rappeler après l'essai, au sous-sol sans réseau {uuid.uuid4().hex[:6]}"

    with signed_in_phone(browser, live_server, seller, "offline-failure.png") as phone:
        page, base = phone.page, phone.base
        card = page.locator(f'[data-lead-id="{lead_id}"]')
        expect(card).to_contain_text(name, timeout=WAIT)
        card.locator("a.card-link").click()
        page.wait_for_url(f"**/leads/{lead_id}")
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator("form[data-form=note] textarea[name=body]")).to_have_count(1)
        wait_until(page, f"async () => {{ const urls = await ({KEPT_PAGES})(); "
                         f"return urls.includes('/home') && urls.includes('/leads/{lead_id}'); }}")
        assert not [url for url in page.evaluate(KEPT_PAGES) if url.startswith("/api/")], "no API answer is kept"
        page.screenshot(path=str(artifact_path("offline-0-lead-online.png")), full_page=True)

        phone.offline()

        # The lead and the last inbox open from what the worker kept.
        page.reload()
        expect(page.locator("h1")).to_contain_text(name)
        page.goto(base + "/home")
        expect(page.locator(f'[data-lead-id="{lead_id}"]')).to_contain_text(name)
        expect(page.locator("link[rel=stylesheet][href='/static/css/app.css']")).to_have_count(1)
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky", \
            "the shell's CSS came from the cache"
        page.screenshot(path=str(artifact_path("offline-1-inbox-from-cache.png")), full_page=True)

        # A page never opened here: the offline page, with the way back to the inbox.
        page.goto(base + "/stock")
        home_link = page.locator("a[data-offline-home]")
        expect(home_link).to_have_attribute("href", "/home")
        expect(page.locator("[data-offline-list] a[href$='/home']")).to_have_count(1)
        page.screenshot(path=str(artifact_path("offline-2-never-opened.png")), full_page=True)

        # A note written without network waits on the phone, and the top bar counts it.
        page.goto(base + f"/leads/{lead_id}")
        note_form = page.locator("form[data-form=note]")
        note_form.locator("textarea[name=body]").fill(note)
        note_form.locator("button[type=submit]").click()
        badge = page.locator("[data-outbox-badge]")
        expect(badge).to_be_visible(timeout=WAIT)
        expect(badge).to_have_text(re.compile(r"^1 \S"))
        expect(page.locator("[data-timeline] .entry-pending")).to_contain_text(note)
        queued = page.evaluate(QUEUE)
        assert [(op["url"], op["body"]) for op in queued] == [(f"/api/v1/leads/{lead_id}/notes", {"body": note})]
        assert queued[0]["key"] and queued[0]["queued"] is True
        assert notes(app, lead_id, note) == 0
        page.screenshot(path=str(artifact_path("offline-3-note-queued.png")), full_page=True)

        # The network returns: the queue empties and the note is in the lead's timeline, once.
        phone.online()
        expect(badge).to_be_hidden(timeout=WAIT)
        assert page.evaluate(QUEUE) == []
        assert notes(app, lead_id, note) == 1

        # The same operation sent again with its key (an answer lost on the way back): nothing new.
        page.evaluate(REQUEUE, queued[0])
        assert len(page.evaluate(QUEUE)) == 1
        page.evaluate("import('/static/js/outbox.js').then((outbox) => outbox.flush())")
        assert page.evaluate(QUEUE) == []
        assert page.evaluate("document.querySelector('[data-outbox-refused]').hidden"), "the replay was accepted"
        assert notes(app, lead_id, note) == 1
        page.reload()
        expect(page.locator("[data-timeline]")).to_contain_text(note)
        page.screenshot(path=str(artifact_path("offline-4-note-synced.png")), full_page=True)

        # From the inbox too: an acknowledgement and a call outcome made offline wait, then go, in order.
        page.goto(base + "/home")
        first, second = page.locator(f"#lead-{lead_id}"), page.locator(f"#lead-{other_id}")
        first.get_by_role("button", name="Prendre en charge").click()  # online: sent at once
        expect(first.get_by_role("button", name="Noter un appel")).to_be_visible()
        page.reload()
        wait_until(page, KEPT_HOME_WITH, f'aria-controls="outcome-{lead_id}"')
        phone.offline()
        page.reload()
        second.get_by_role("button", name="Prendre en charge").click()
        expect(badge).to_have_text(re.compile(r"^1 \S"))
        first.get_by_role("button", name="Noter un appel").click()
        first.get_by_role("button", name="Pas de réponse").click()
        expect(badge).to_have_text(re.compile(r"^2 \S"))
        assert [op["url"] for op in page.evaluate(QUEUE)] == [f"/api/v1/leads/{other_id}/ack",
                                                             f"/api/v1/leads/{lead_id}/calls"]
        assert entries(app, lead_id, "call") == [] and entries(app, other_id, "acknowledged") == []
        # And one the server will refuse: a note on another group's lead (whatever the phone holds).
        page.evaluate("([url, body]) => import('/static/js/outbox.js').then((outbox) => "
                      "outbox.sendOrQueue({ url, body, label: 'Note hors groupe' }))",
                      [f"/api/v1/leads/{theirs}/notes", {"body": note}])
        expect(badge).to_have_text(re.compile(r"^3 \S"))
        page.screenshot(path=str(artifact_path("offline-5-inbox-queued.png")))
        phone.online()
        expect(badge).to_be_hidden(timeout=WAIT)
        assert [entry.data["outcome"] for entry in entries(app, lead_id, "call")] == ["no_answer"]
        assert len(entries(app, other_id, "acknowledged")) == 1
        with in_group(app, GROUP_B):
            assert db.session.execute(select(LeadEntry.id).where(LeadEntry.lead_id == theirs,
                                                                 LeadEntry.body == note)).first() is None
        # The refusal is not lost silently: the top bar says what was not accepted, until dismissed.
        refused = page.locator("[data-outbox-refused]")
        expect(refused.locator("li")).to_have_text(re.compile(r"^Note hors groupe — \S"))  # with the server's reason
        refused.get_by_role("button").click()
        expect(refused).to_be_hidden()

        # Signing out forgets the pages kept for this seller: offline, the next person sees none.
        page.locator(".usermenu summary").click()
        page.locator("form[data-sign-out] button").click()
        page.wait_for_url("**/login")
        assert page.evaluate(KEPT_PAGES) == []
        phone.offline()
        page.goto(base + "/home")
        expect(page.locator("a[data-offline-home]")).to_be_visible()
        expect(page.locator(f'[data-lead-id="{lead_id}"]')).to_have_count(0)
        page.screenshot(path=str(artifact_path("offline-6-signed-out.png")), full_page=True)
        # The network returns: the offline page goes where it was asked to go (signed out: sign in).
        phone.online()
        page.wait_for_url("**/login?next=/home", timeout=WAIT)


def test_offline_an_action_marked_done_waits_on_the_phone_then_is_done_once(browser, live_server, app, demo):
    seller = demo_user(demo, "a", "seller")
    seller_id = demo_user_id(app, demo, "a", "seller")
    title = f"Rappeler pour l'essai {uuid.uuid4().hex[:6]}"
    with in_group(app, GROUP_A):
        action = Action(type="call", title=title, user_id=seller_id, due_at=utcnow() + timedelta(hours=1))
        db.session.add(action)
        db.session.commit()
        action_id = action.id

    def done_at():
        with in_group(app, GROUP_A):
            return db.session.execute(select(Action.done_at, Action.outcome).where(Action.id == action_id)).one()

    with signed_in_phone(browser, live_server, seller, "offline-action-failure.png") as phone:
        page = phone.page
        page.goto(phone.base + "/actions")
        item = page.locator(f"#action-{action_id}")
        expect(item).to_contain_text(title)
        wait_until(page, f"async () => (await ({KEPT_PAGES})()).includes('/actions')")

        phone.offline()
        page.reload()  # from what the worker kept
        expect(item).to_contain_text(title)
        item.get_by_label("Résultat").fill("joint")
        item.get_by_role("button", name="Fait").click()
        badge = page.locator("[data-outbox-badge]")
        expect(badge).to_have_text(re.compile(r"^1 \S"), timeout=WAIT)
        expect(item).to_have_class(re.compile(r"\baction-pending\b"))
        expect(item.get_by_role("status")).to_contain_text("envoyé dès le retour de la connexion")
        assert [(op["url"], op["body"]) for op in page.evaluate(QUEUE)] == [
            (f"/api/v1/actions/{action_id}/done", {"outcome": "joint"})]
        assert done_at() == (None, None)
        page.screenshot(path=str(artifact_path("offline-7-action-done-queued.png")), full_page=True)

        phone.online()
        expect(badge).to_be_hidden(timeout=WAIT)
        when, outcome = done_at()
        assert when is not None and outcome == "joint"
        page.reload()
        expect(item).to_have_count(0)  # done: off the list of things to do
        assert page.evaluate("document.querySelector('[data-outbox-refused]').hidden")
