"""The publish stage by email: who receives the digest, and links only they can use.

`subscribers.py` keeps the list (one SQLite file, `Settings.subscribers_db`,
shared with the send log) with each person's address, reading language and
status (`pending` until they confirm, `confirmed`, `unsubscribed`).
`tokens.py` signs the confirmation and unsubscribe links, so a link works
for its one subscriber and purpose and cannot be forged or edited. Both
return `Message`s for people, like every stage; the CLI renders them.

`send.py` is the entry point, `send_issue()`: it renders each language once,
makes every subscriber's message from that (`compose.py`), and sends them
over one reused connection (`smtp.py`), recording each in the send log
(`sendlog.py`) around its end of data so a rerun never sends a copy twice.
"""
