"""The inbound lead mailbox (CONTRACT.md, "Inbound e-mail"): `eseller smtpd`.

- `parse`   — raw bytes -> leads in the CONTRACT JSON shape, or a quarantine reason (pure functions);
- `service` — stores every message received, then captures its leads, one commit per group;
- `server`  — the aiosmtpd server that refuses unknown mailboxes and answers 250 only after the commit.
"""
