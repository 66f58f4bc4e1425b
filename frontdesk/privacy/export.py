"""The right of access: everything held on one contact, as JSON plus the attachment files.

Writes `<out>/contact-<id>/subject.json` and `<out>/contact-<id>/attachments/`
(named `<sha256>-<filename>`), and records a `personal_data_exported` event
on each of the contact's cases.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.models import utcnow
from frontdesk.privacy.subjects import Holdings, holdings
from frontdesk.privacy.vault import Vault
from frontdesk.store.cases import add_event
from frontdesk.store.tables import CaseEvent, RawPayload

log = logging.getLogger(__name__)
EXPORTED_KIND = "personal_data_exported"


def export_contact(session_factory: sessionmaker[Session], contact_id: int, out_dir: Path, actor: str,
                   vault: Vault | None = None) -> Path:
    """Write the export of contact `contact_id` under `out_dir`; returns its folder. Audited as `actor`."""
    folder = Path(out_dir) / f"contact-{contact_id}"
    (folder / "attachments").mkdir(parents=True, exist_ok=True)
    with session_factory.begin() as session:
        found = holdings(session, contact_id)
        document = subject_document(session, found)
        document["attachments"] = _copy_attachments(found, vault, folder / "attachments")
        for case_id in found.case_ids:
            add_event(session, case_id, actor, EXPORTED_KIND, via="cli")
    (folder / "subject.json").write_text(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default),
                                         encoding="utf-8")
    log.info("exported contact %s for %s", contact_id, actor)
    return folder


def subject_document(session: Session, found: Holdings) -> dict:
    """The JSON document of an export."""
    contact = found.contact
    return {
        "exported_at": utcnow(),
        "contact": {"id": contact.id, "name": contact.name, "email": contact.email, "created_at": contact.created_at,
                    "erased_at": contact.erased_at},
        "identities": [{"channel": i.channel, "handle": i.handle, "verified": i.verified} for i in found.identities],
        "cases": [_case(session, case) for case in found.cases],
        "messages": [_message(message) for message in found.messages],
        "raw_payloads": _raw_payloads(session, found.message_ids),
        "deliveries": [{"case_id": d.case_id, "kind": d.kind, "sender": d.sender, "target": d.target,
                        "status": d.status, "created_at": d.created_at, "detail": d.detail}
                       for d in found.deliveries if d.kind in ("ack", "reply")],
        "opt_outs": [{"channel": o.channel, "address": o.address, "at": o.at, "source": o.source}
                     for o in found.opt_outs],
    }


def _case(session: Session, case) -> dict:
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    return {
        "id": case.id, "status": case.status, "urgency": case.urgency, "categories": case.categories,
        "channel": case.channel, "subject": case.subject, "opened_at": case.opened_at,
        "resolved_at": case.resolved_at, "reasons": case.reasons,
        "events": [{"seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind, "data": e.data} for e in events],
    }


def _message(message) -> dict:
    return {"id": message.id, "case_id": message.case_id, "channel": message.channel,
            "external_id": message.external_id, "subject": message.subject, "text": message.text,
            "sent_at": message.sent_at, "received_at": message.received_at, "urgency": message.urgency,
            "categories": message.categories, "attachments": message.attachments}


def _raw_payloads(session: Session, message_ids: list[str]) -> list[dict]:
    rows = session.scalars(select(RawPayload).where(RawPayload.id.in_(message_ids)).order_by(RawPayload.id))
    out = []
    for raw in rows:
        body = bytes(raw.body or b"")
        try:
            entry = {"text": body.decode("utf-8")}
        except UnicodeDecodeError:
            entry = {"base64": base64.b64encode(body).decode()}
        out.append({"id": raw.id, "channel": raw.channel, "received_at": raw.received_at,
                    "content_type": raw.content_type, **entry})
    return out


def _copy_attachments(found: Holdings, vault: Vault | None, folder: Path) -> list[dict]:
    copied = []
    for message in found.messages:
        for item in message.attachments:
            payload = vault.get(message.channel, item["sha256"]) if vault is not None else None
            name = None
            if payload is not None:
                name = f"{item['sha256']}-{Path(item.get('filename') or 'attachment').name}"
                (folder / name).write_bytes(payload)
            copied.append({"message_id": message.id, **item, "file": name})
    return copied


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
