"""Pytest set-up shared by every test run in this repository (tests/, solutions/, exercises/).

CI runs the notebooks with nbval two at a time (pytest-xdist). Once in many runs a freshly
started kernel died before it answered its first message, and every cell of that notebook
errored although the notebook itself was fine. nbval starts each kernel once and sends the
kernel's stderr to /dev/null, so neither a retry nor the reason existed. Here a kernel that
fails to start is shut down and started again (up to ``KERNEL_START_ATTEMPTS`` times), and
what the dead kernel printed to stderr is reported as a pytest warning so the cause is on
record. A notebook whose kernel cannot start in any attempt still fails.
"""

from __future__ import annotations

import tempfile
import time
import warnings

KERNEL_START_ATTEMPTS = 3

try:
    import nbval.kernel
    import nbval.plugin
except (
    ImportError
):  # nbval is a test dependency; without it there are no notebook tests
    nbval = None


def _start_with_stderr_kept(start_new_kernel):
    """Wrap nbval's ``start_new_kernel`` so the kernel's stderr goes to a temporary file."""

    def start(*args, **kwargs):
        stderr_log = tempfile.TemporaryFile()
        kwargs["stderr"] = stderr_log
        try:
            return start_new_kernel(*args, **kwargs)
        except RuntimeError as error:
            stderr_log.seek(0)
            printed = stderr_log.read().decode("utf-8", "replace").strip()
            raise RuntimeError(
                f"{error}; the kernel's stderr: {printed[-2000:] or '(empty)'}"
            )

    return start


if nbval is not None:
    nbval.kernel.start_new_kernel = _start_with_stderr_kept(
        nbval.kernel.start_new_kernel
    )

    class RetryingKernel(nbval.kernel.RunningKernel):
        """nbval's kernel, started again when the first attempt dies while starting."""

        def __init__(self, *args, **kwargs):
            for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
                try:
                    super().__init__(*args, **kwargs)
                    return
                except RuntimeError as error:
                    manager = getattr(self, "km", None)
                    if (
                        manager is not None
                    ):  # it started, then failed its first messages
                        try:
                            manager.shutdown_kernel(now=True)
                        except Exception:  # already dead: nothing to shut down
                            pass
                    if attempt == KERNEL_START_ATTEMPTS:
                        raise
                    warnings.warn(
                        f"kernel start attempt {attempt} failed, starting again: {error}",
                        stacklevel=2,
                    )
                    time.sleep(attempt)

    nbval.plugin.RunningKernel = RetryingKernel
