"""Penalty decisions (行政处罚): evaluation against the provisions, discretion tiers, the penalty checks,
one decision checked and explained, a provision shown.

Only what is about penalties lives here.  What the record kinds share stays
outside: the finding codes and batches (engine.findings), the helpers checks
explain themselves with (engine.checks.common), the batch pipeline
(engine.batch, engine.batchwide, engine.review) and the reports
(engine.results, engine.summary), as the deadlines keep theirs in
engine.deadlines.
"""
