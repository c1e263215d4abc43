"""What one browser session runs: the ordinary wizard, on the web driver textual-serve selects.

Started by the server as ``python -m mabs_wizard.screens.serve.child --output DIR [--answers FILE]``.
Not `mabs-wizard run`: that prints where the manifest went when the app ends, and in a session the
standard output is textual-serve's packet stream. Problems go to standard error, which the server
prints; the exit code is the wizard's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mabs-wizard serve session")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--answers", type=Path)
    args = parser.parse_args(argv)

    from mabs_wizard.errors import WizardError
    from mabs_wizard.screens.app import create_app

    app = create_app(args.answers, output_dir=args.output)
    code = app.run()
    error: WizardError | None = app.load_error
    if error is not None:
        for line in getattr(error, "lines", lambda: [str(error)])():
            print(f"session {args.output.name}: {line}", file=sys.stderr)
        return error.exit_code
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
