"""Pure webhook logic: signatures, payload parsing, the event → action table.

Nothing here does I/O: every function takes headers, raw bytes and already-decoded JSON
and returns a typed result, so the whole table is testable without a server.
"""
