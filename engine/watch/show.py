"""What the user reads on stdout: each card, Chinese first, and how far stdout has got.

A card printed on stdout is the line of ``cards.jsonl`` (or ``overreach.jsonl``)
with one more key in front, ``提示``: the card in words, Chinese first, English
after it.  Programs read the same JSON fields as in the files.

``DIR/stdout.pos`` counts the card lines (the database's order, cards and
overreach findings together) already written to stdout.  It is advanced after
each line is written, so after a SIGKILL a restart prints every card not yet
shown: the files are appended before stdout, and a slow reader that holds the
pipe can leave committed cards unprinted for a long time.  The one card that
may be printed twice is the one written in the instant between the write and
the count (a pipe cannot be written and a file updated in one step).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from engine.findings import CODES

KEY = "提示"


def card_text(card: dict) -> str:
    """The card in words: Chinese, then English in brackets."""
    code = card.get("code", "")
    c = CODES.get(code)
    zh, en = (c.zh, c.en) if c else (code, code)
    cid = card.get("case_id", "")
    if card.get("finding") == "overreach":
        listed = card.get("preconditions") or card.get("intermediaries") or []
        codes = ", ".join(listed)
        return (f"乱作为：案件 {cid} 事项 {card.get('item_code', '')}，{zh}：{codes} "
                f"(overreach: case {cid}, item {card.get('item_code', '')}: {en}: {codes})")
    due = card.get("deadline", "")
    if card.get("card") == "yellow":
        return (f"黄牌预警：案件 {cid} 临近期限 {due}，逾期即构成“{zh}” (yellow card: case {cid} nears its deadline "
                f"{due}; missing it would be: {en})")
    return f"红牌超时：案件 {cid} 已超过期限 {due}：{zh} (red card: case {cid} passed its deadline {due}: {en})"


def display(line: str) -> str:
    """The stdout form of a card line: ``提示`` first, then the line's own fields unchanged."""
    text = json.dumps(card_text(json.loads(line)), ensure_ascii=False)
    return f'{{"{KEY}":{text},{line[1:]}' if line.startswith("{") and len(line) > 2 else line


def card_line(shown_line: str) -> str:
    """Back from the stdout form to the file line (tests and readers that want the file's bytes)."""
    obj = json.loads(shown_line)
    obj.pop(KEY, None)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def write_stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stdout_gone() -> None:
    """The reader closed stdout: further output goes nowhere (no BrokenPipeError at exit); say so once."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    sys.stderr.write("标准输出已关闭，卡片仍写入 cards.jsonl，重新运行时补打印 (stdout was closed; cards are still "
                     "written to cards.jsonl and printed by the next run)\n")


class StdoutPosition:
    """DIR/stdout.pos: the number of card lines already written to stdout, rewritten in place per line."""

    WIDTH = 20

    def __init__(self, path: Path, legacy: int):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        raw = os.pread(self.fd, 64, 0).strip()
        self.value = int(raw) if raw.isdigit() else legacy
        if not raw.isdigit():
            self._write()

    def set(self, n: int) -> None:
        self.value = n
        self._write()

    def advance(self) -> None:
        self.set(self.value + 1)

    def _write(self) -> None:
        os.pwrite(self.fd, f"{self.value:0{self.WIDTH}d}\n".encode(), 0)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
