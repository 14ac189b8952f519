"""The localise stage: every item in every configured language, with provenance."""
