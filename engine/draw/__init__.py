"""双随机、一公开: reproducible, publicly verifiable random draws of inspection targets and inspectors.

The draw is a pure function of the plan, the three registers, the prior-draw
history and a public seed (``algorithm``); everything else here exists to make
that function trustworthy in practice: inputs are committed before the seed is
known (``ledger``), bad rows are reported instead of silently dropped
(``registers``), and anyone can recompute the result (``commands verify``).
"""
SPEC_VERSION = "zhunsheng-draw/1"
