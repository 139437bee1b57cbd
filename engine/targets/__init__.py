"""Inspection targets (检查对象分类): credit-risk classes, 重点监管, 有针对性检查 and 经营异常名录 from rules
over the entity register and the records related to each entity.

Why rules and not code: which records make an entity higher risk is policy that a department
changes (市场主体登记管理条例 Art. 38 asks for 分级分类监管 but sets no thresholds), while what makes an
entity listed in the 经营异常名录 is statute (企业信息公示暂行条例 Arts. 8, 17).  Both are written in
``rules/targets/`` with their citation and P/C/U tag, and every threshold is a parameter.
"""
