"""Rules of each step: pure functions over answer sections and target facts, returning Findings."""
