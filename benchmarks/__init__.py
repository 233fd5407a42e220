"""Benchmarks of korecampaign-async against what users would write instead.

Run ``python -m benchmarks --quick`` (about a minute) or ``python -m benchmarks`` (the full
matrix); ``--check`` exits non-zero naming every target missed. See benchmarks/README.md.
"""
