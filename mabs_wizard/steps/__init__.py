"""The steps of the MABS flow, in the seed's order: one module each, holding its answers model (with
the form metadata), its rules (``check``) and its work (``apply``).

To find where a rule lives: ``mabs_wizard/steps/<section>.py``, where ``<section>`` is the answers
file's section (``sql``, ``installation``, ...). Domain knowledge too big for a step module lives in
its own module and is named in the step's docstring (``media``, ``vault``, ``passphrase``,
``connectivity``, ``facts``).
"""

from __future__ import annotations

from mabs_wizard.steps import (
    encryption,
    extraction,
    installation,
    prerequisites,
    proxy,
    security,
    sql,
    updates,
    vault,
)
from mabs_wizard.steps.base import Step

STEPS: dict[str, Step] = {
    module.STEP.key: module.STEP
    for module in (extraction, prerequisites, sql, installation, security, updates, proxy, vault, encryption)
}

__all__ = ["STEPS", "Step"]
