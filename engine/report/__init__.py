"""Reports people read, built from a finished review output folder: the workbook a legal-affairs office
works in (``workbook``) and the offline HTML report it forwards (``html``).

Both read only the folder's files (cases.jsonl, findings.jsonl, rejected.csv, summary.json), never the
evaluator, so they can be rebuilt from any complete folder later and never drift from what was written.
"""
