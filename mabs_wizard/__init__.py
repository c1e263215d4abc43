"""mabs-wizard engine: answers, rules, facts, manifest, secrets, media, vault, connectivity, export.

This package never imports Textual; the terminal UI lives in ``screens/``.
"""

__version__ = "0.1.0"
