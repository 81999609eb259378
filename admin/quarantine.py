"""The mail quarantine: what the group's mailbox received but could not turn into a lead.

`InboundMessage` is not tenant-scoped by the mixin (mail to an unknown address has no group), so
the automatic group filter does not apply: every query here filters on the signed-in user's group
itself, and another group's message is a 404 like a missing one.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from flask import Response, abort, g, render_template, request
from sqlalchemy import func, select

from admin.views import bp
from server.auth.access import roles_required
from server.extensions import db
from server.mailbox.parse import body_text
from server.models import InboundMessage

PAGE_SIZE = 50
MAX_SHOWN_TEXT = 100_000  # the page shows the text; the whole message is in the download


def _quarantined():
    return select(InboundMessage).where(InboundMessage.group_id == g.group.id,
                                        InboundMessage.status == "quarantined")


def _message_or_404(message_id: int) -> InboundMessage:
    message = db.session.execute(
        select(InboundMessage).where(InboundMessage.id == message_id, InboundMessage.group_id == g.group.id)
    ).scalar_one_or_none()
    if message is None:
        abort(404)
    return message


@bp.route("/quarantine")
@roles_required("admin")
def quarantine():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.session.execute(select(func.count()).select_from(_quarantined().subquery())).scalar_one()
    # The columns the list shows only: never load every raw message of a page.
    rows = db.session.execute(
        _quarantined().with_only_columns(
            InboundMessage.id, InboundMessage.created_at, InboundMessage.mail_from, InboundMessage.subject,
            InboundMessage.reason, InboundMessage.size,
        ).order_by(InboundMessage.created_at.desc(), InboundMessage.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("admin/quarantine.html", messages=rows, page=page, pages=pages, total=total)


@bp.route("/quarantine/<int:message_id>")
@roles_required("admin")
def quarantine_message(message_id: int):
    message = _message_or_404(message_id)
    headers: list[tuple[str, str]] = []
    attachments: list[dict] = []
    text = ""
    try:
        parsed = BytesParser(policy=policy.default).parsebytes(message.raw)
        for name, value in parsed.raw_items():
            headers.append((name, " ".join(str(value).split())))
        text = body_text(parsed)[:MAX_SHOWN_TEXT]
        for part in parsed.iter_attachments():
            payload = part.get_payload(decode=True) or b""
            attachments.append({"name": part.get_filename() or "", "type": part.get_content_type(),
                                "size": len(payload)})
    except Exception:  # noqa: BLE001 - the page must open for exactly the messages that could not be read
        text = message.raw[:MAX_SHOWN_TEXT].decode("utf-8", errors="replace")
    # Jinja escapes all of it: the mail is a stranger's, shown as text, never as markup.
    return render_template("admin/quarantine_message.html", message=message, headers=headers, text=text,
                           attachments=attachments)


@bp.route("/quarantine/<int:message_id>/raw")
@roles_required("admin")
def quarantine_raw(message_id: int):
    message = _message_or_404(message_id)
    return Response(message.raw, mimetype="message/rfc822", headers={
        # A download, never rendered in the browser: it may carry anything.
        "Content-Disposition": f'attachment; filename="message-{message.id}.eml"',
        "Cache-Control": "private, no-store",
    })
