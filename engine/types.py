"""The small type system shared by the expression language, the record schema and the readers."""
from __future__ import annotations

from enum import Enum


class FieldType(str, Enum):
    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"
    LIST = "list"      # a list of codes (semicolon list in files)
    NULL = "null"      # the type of the literal ``null`` only

    @property
    def zh(self) -> str:
        return {"number": "数值", "string": "文本", "bool": "是/否", "date": "日期",
                "list": "列表", "null": "空"}[self.value]


def comparable(a: FieldType, b: FieldType) -> bool:
    """Two operands may be compared when they are the same type or one is the null literal."""
    return a == b or FieldType.NULL in (a, b)
