"""Facts about the Windows target that the prerequisite rules judge.

They come from a facts file collected on the target (`assets/facts/collect-facts.ps1`, JSON; `mabs-wizard
schema facts` prints its schema) or from a probe of the machine the wizard runs on: on Windows the
probe runs that same script, on Linux it reports Linux honestly and the OS rule then fails (MABS
installs on Windows).

``model`` holds the schema (version 2, and version 1 read for compatibility), ``read`` the file
reader (encodings, JSON, versions), ``probe`` the local probe.
"""

from mabs_wizard.facts.model import (
    FACTS_VERSION,
    BitLocker,
    FactsV1,
    Roles,
    ScratchFolder,
    SqlInstance,
    TargetFacts,
    Volume,
)
from mabs_wizard.facts.probe import probe_local
from mabs_wizard.facts.read import collect_command, decode_facts, load_facts, parse_facts

__all__ = [
    "FACTS_VERSION",
    "BitLocker",
    "FactsV1",
    "Roles",
    "ScratchFolder",
    "SqlInstance",
    "TargetFacts",
    "Volume",
    "collect_command",
    "decode_facts",
    "load_facts",
    "parse_facts",
    "probe_local",
]
