"""Deadline-bound record kinds (approvals, disclosures, complaints): evaluation of deadline rules."""
