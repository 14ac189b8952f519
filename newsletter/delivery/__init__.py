"""The publish stage by email: who receives the digest, and links only they can use.

`subscribers.py` keeps the list (one SQLite file, `Settings.subscribers_db`,
shared with the send log) with each person's address, reading language and
status (`pending` until they confirm, `confirmed`, `unsubscribed`).
`tokens.py` signs the confirmation and unsubscribe links, so a link works
for its one subscriber and purpose and cannot be forged or edited. Both
return `Message`s for people, like every stage; the CLI renders them.
"""
