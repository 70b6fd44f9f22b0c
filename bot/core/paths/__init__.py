"""Which changed files a path rule or a CODEOWNERS line covers, pure.

- ``patterns``: gitignore-style patterns with CODEOWNERS semantics, compiled once to
  regexes and indexed by literal first segment or extension, so that 1,000 rules against
  3,000 files stay fast;
- ``codeowners``: a repository's CODEOWNERS text parsed with one host's semantics, and
  which of its lines own which changed files.
"""
