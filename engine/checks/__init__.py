"""Checks of records against the reference lists a review is given, and the helpers every check explains
itself with.

``approval`` judges licensing applications against the audited catalogue
(review --catalog) and ``powers`` any penalty or approval against the power
list (权力清单, review --powers); the batch pipeline (engine.batch) runs them
beside a kind's own evaluation.  ``common`` holds the citation and formatting
helpers the penalty checks (engine.penalty.checks), the deadlines and these
checks use.  Nothing here imports a record kind's evaluation, so every kind
can import from here.
"""
