"""The pure core: plain data, decisions and errors. No I/O here (tests/test_layering.py)."""
