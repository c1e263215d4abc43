"""The Ansible project ``mabs-wizard fleet export --format ansible`` writes (see project.py)."""
