"""The root conftest.py: a notebook kernel that dies while starting is started again."""

from __future__ import annotations

import sys

import nbval.kernel
import nbval.plugin
import pytest

RetryingKernel = nbval.plugin.RunningKernel
retry_module = sys.modules[RetryingKernel.__module__]


class FakeManager:
    def __init__(self):
        self.shut_down = False

    def shutdown_kernel(self, now=False):
        self.shut_down = True


@pytest.fixture
def starts(monkeypatch):
    """Replace the real kernel start by one that fails ``starts.failures`` times."""

    class Starts:
        failures = 0
        calls = 0

    def fake_start(**kwargs):
        Starts.calls += 1
        if Starts.calls <= Starts.failures:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return FakeManager(), object()

    monkeypatch.setattr(nbval.kernel, "start_new_kernel", fake_start)
    monkeypatch.setattr(
        nbval.kernel.RunningKernel, "_ensure_iopub_up", lambda self: None
    )
    monkeypatch.setattr(retry_module.time, "sleep", lambda seconds: None)
    return Starts


def test_nbval_uses_the_retrying_kernel():
    assert RetryingKernel is not nbval.kernel.RunningKernel
    assert issubclass(RetryingKernel, nbval.kernel.RunningKernel)


def test_a_kernel_that_dies_once_is_started_again(starts):
    starts.failures = 1
    with pytest.warns(UserWarning, match="attempt 1 failed"):
        kernel = RetryingKernel("python3")
    assert starts.calls == 2
    assert isinstance(kernel.km, FakeManager)


def test_a_kernel_that_never_starts_still_fails(starts):
    starts.failures = retry_module.KERNEL_START_ATTEMPTS
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="died"):
        RetryingKernel("python3")
    assert starts.calls == retry_module.KERNEL_START_ATTEMPTS


def test_a_kernel_failing_after_start_is_shut_down_before_the_retry(
    monkeypatch, starts
):
    managers = []

    def first_messages(self):
        managers.append(self.km)
        if len(managers) == 1:
            raise RuntimeError("Kernel info reqest timed out")

    monkeypatch.setattr(nbval.kernel.RunningKernel, "_ensure_iopub_up", first_messages)
    with pytest.warns(UserWarning, match="timed out"):
        RetryingKernel("python3")
    assert [manager.shut_down for manager in managers] == [True, False]


def test_the_dead_kernels_stderr_is_in_the_error():
    def dying_start(**kwargs):
        kwargs["stderr"].write(b"zmq.error.ZMQError: Address already in use\n")
        kwargs["stderr"].flush()
        raise RuntimeError("Kernel died before replying to kernel_info")

    start = retry_module._start_with_stderr_kept(dying_start)
    with pytest.raises(RuntimeError, match="Address already in use"):
        start(stderr=None)


def test_a_real_kernel_starts_through_the_wrappers():
    kernel = RetryingKernel("python3")
    try:
        reply = kernel.kc.execute("1 + 1", reply=True, timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        kernel.stop()
