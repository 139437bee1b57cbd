"""The approval-catalogue clean-up audit (审批事项目录清理, 前置审批清理): ``zhunsheng catalog audit``.

``schema`` is the catalogue contract (columns, Chinese headers, types),
``rules`` loads ``rules/catalog/cleanup.yaml`` (cited clean-up reasons with
conditions in the expression language), ``audit`` reads, validates and judges
a catalogue column-wise and writes the reports, ``commands`` is the click group.
"""
