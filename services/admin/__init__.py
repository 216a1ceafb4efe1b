"""The admin tools (issue 12): users and roles (``users``), the audit read back in words
(``audit``), broadcasts through the outbox (``broadcast``), the system's figures (``stats``)
and the sources' admin view (``sources``). Plain data in and out (``dto``); every change is
made by an admin (``Forbidden`` otherwise, checked here and not only by the handlers' flags, so
the REST API can call the same methods) and audited, and a change that changes nothing says so
and writes no audit entry.

Acting on a Telegram id the bot has never seen works for every command (README "Admin tools"):
the decision is stored on a new user row and applies when that person first writes.
"""
