"""Stop-sequence matching over streamed text."""

from __future__ import annotations

from collections.abc import Sequence


class StopSequenceFilter:
    """A filter that passes streamed text through until a stop sequence appears.

    Text that could be the start of a stop sequence is held back until the
    next delta shows whether it is one. So the output never contains a stop
    sequence, nor the start of one that a later delta completes. Held-back
    text of a stop that never completes comes out of ``flush``.
    """

    def __init__(self, stop: Sequence[str]) -> None:
        self._stop = [s for s in stop if s]
        self._pending = ""
        self.stopped = False

    def push(self, delta: str) -> str:
        """Add ``delta``; return the text that is safe to emit now."""
        if self.stopped:
            return ""
        self._pending += delta
        matches = [index for index in (self._pending.find(s) for s in self._stop) if index >= 0]
        if matches:
            self.stopped = True
            emitted, self._pending = self._pending[: min(matches)], ""
            return emitted
        cut = len(self._pending) - self._held_back_length()
        emitted, self._pending = self._pending[:cut], self._pending[cut:]
        return emitted

    def flush(self) -> str:
        """Return the held-back text once generation ended without a stop."""
        emitted, self._pending = ("" if self.stopped else self._pending), ""
        return emitted

    def _held_back_length(self) -> int:
        # Length of the longest suffix of the pending text that is a proper prefix of a stop sequence.
        longest = 0
        for stop in self._stop:
            for length in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:length]):
                    longest = length
                    break
        return longest
