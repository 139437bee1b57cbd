"""Checks over evaluated records, in order: liability first (it marks time-barred rows the
range checks then leave alone), then the decision's substance, then its procedure."""
from engine.penalty.checks import liability, persons, procedure, substantive

CHECKS = liability.CHECKS + substantive.CHECKS + persons.CHECKS + procedure.CHECKS
