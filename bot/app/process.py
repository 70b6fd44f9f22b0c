"""Process ties: a child that must not outlive the process that started it."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal


def die_with_parent() -> None:
    """Linux: when the parent process is killed outright, the kernel sends this one SIGTERM
    (redis-server under serve; a uvicorn worker under its supervisor)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_with_supervisor() -> None:
    """A uvicorn worker (``WORKERS`` > 1) stops when its supervisor is killed outright
    (SIGKILL, OOM): left running it would keep the port, so the next serve could not start,
    and it would answer with the supervisor's embedded Redis gone."""
    supervisor = multiprocessing.parent_process()
    if supervisor is None:  # one process: uvicorn serves in serve's own process
        return
    die_with_parent()
    if os.getppid() != supervisor.pid:  # it died before the line above: too late for it
        os.kill(os.getpid(), signal.SIGTERM)
