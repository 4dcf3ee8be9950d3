"""Which callers keep real time while a fake freezes it, in the threads that follow its clock.

The rule, as documented in the guide: a call is real when any of its five
nearest callers belongs to an ignored module, matched by whole dotted
components, the frames that merely start a thread not counting.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

# Callers that keep real time and real sleep while a fake is active, in the
# threads that follow its clock. As in freezegun, a call is real when any of
# its five nearest frames belongs to one of these modules (whole dotted
# components); freezegun's configurable default ignore list is added, read
# again at every activation. The standard library's own entries are here too:
# freezegun before 1.5 lists "Queue" (Python 2's name), not "queue".
BASE_IGNORE: tuple[str, ...] = ("threading", "queue", "multiprocessing", "execnet")

# The ignore list and the answers worked out from it, read as one pair.
IgnoreMemo = tuple[tuple[str, ...], dict[str, bool]]


def ignored_caller(ignore_memo: IgnoreMemo, depth: int = 2) -> bool:
    # Frame 0 is this function, 1 the fake, 2 its caller: as freezegun does,
    # a call is real when any of the five nearest callers is ignored; unlike
    # freezegun, an entry matches whole dotted components ("gi" ignores
    # "gi.repository", never "github_deploy").
    frame = sys._getframe(depth)
    # The list and the answers worked out from it are read as one pair, so a
    # thread never files an answer under another list's memo.
    ignore, memo = ignore_memo
    starters, starter_names = _THREAD_STARTERS, _STARTER_NAMES
    for _ in range(5):
        # A code object hashes its whole contents on every lookup; its name
        # (a string, hash cached) rules out almost every frame first.
        while frame.f_code.co_name in starter_names and frame.f_code in starters:
            # The frames that merely start a thread never count: code a thread
            # runs is judged by the thread rule, not by how shallow it is.
            back = frame.f_back
            if back is None:
                return False
            frame = back
        name = frame.f_globals.get("__name__")
        if name:
            hit = memo.get(name)
            if hit is None:
                hit = memo[name] = isinstance(name, str) and _is_ignored(name, ignore)
            if hit:
                return True
        back = frame.f_back
        if back is None:
            return False
        frame = back
    return False


def _thread_starters() -> frozenset[Any]:
    import concurrent.futures.thread as pool

    codes = [
        threading.Thread.run,
        threading.Thread._bootstrap,  # type: ignore[attr-defined]
        threading.Thread._bootstrap_inner,  # type: ignore[attr-defined]
        pool._worker,
        pool._WorkItem.run,
    ]
    return frozenset(code.__code__ for code in codes)


_THREAD_STARTERS = _thread_starters()
_STARTER_NAMES = frozenset(code.co_name for code in _THREAD_STARTERS)


def _is_ignored(name: str, entries: tuple[str, ...]) -> bool:
    return any(name == entry or name.startswith(entry + ".") for entry in entries)


def normalised(entries: Any) -> tuple[str, ...]:
    # freezegun's list has entries such as "_pytest.runner." meant as prefixes.
    return tuple(dict.fromkeys(str(entry).rstrip(".") for entry in entries if entry))
