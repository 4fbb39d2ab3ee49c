"""The garbage collector is paused for a batch step and resumed by the last one out."""

from __future__ import annotations

import gc

import pytest

from warehouses.services.outbound import execute as execute_module
from warehouses.services.outbound.gcpause import gc_paused


@pytest.fixture
def collector():
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_resumed_by_the_outermost(collector):
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer step is still running
    assert gc.isenabled()


def test_resumed_after_an_error_and_never_enabled_if_it_was_off(collector):
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("step failed")
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


@pytest.mark.django_db  # the run takes its advisory lock
def test_the_run_pauses_it(collector, monkeypatch):
    seen = []
    monkeypatch.setattr(execute_module, "_run", lambda batch_id: seen.append(gc.isenabled()))
    execute_module.outbound_batch_run(batch_id=0)
    assert seen == [False] and gc.isenabled()
