"""What every fuzz file shares: a hang is a failure, not a stuck suite."""
from __future__ import annotations

import contextlib
import signal


class Hang(AssertionError):
    """No answer within the time an input may take."""


@contextlib.contextmanager
def within(seconds: int):
    """Fail the example if the body runs longer than ``seconds`` (SIGALRM interrupts the main thread)."""
    def fire(signum, frame):
        raise Hang(f"no answer within {seconds} s (a hang)")
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
