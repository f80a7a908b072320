"""Progress of a run: a tqdm bar on a terminal; plain lines in a log (nohup, Slurm, a pipe).

Why two forms: a bar redraws one line with carriage returns, which a log file cannot show (tqdm
turns itself off when stderr is not a terminal), so a batch job's log said nothing until the run
ended, and a hung job looked like a slow one. Where stderr is not a terminal, the run instead prints
one line when each domain's training ends (its steps and time) and, while a domain trains, a
heartbeat at most every :data:`HEARTBEAT_S` seconds (the step, the last loss and the time left), so
``tail -f`` on a log answers "is it alive, and when will it end".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from avalanche.core import SupervisedPlugin
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from lifelong_pose.training.strategy import LifelongStrategy

# Reading the loss syncs a GPU; show it every few steps only.
_LOSS_EVERY = 20

HEARTBEAT_S = 60.0
"""Seconds between two heartbeat lines in a log (at most one per this interval; none when steps are slower)."""


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (a closed or odd stream counts as not one)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def duration(seconds: float) -> str:
    """``4.2s``, ``3m05s``, ``2h07m``: a log line's times, short and unambiguous."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class ProgressPlugin(SupervisedPlugin):
    """One bar over every training step of the run, so its ETA is the run's time left; log lines
    instead where the output is not a terminal (module docstring).

    Args:
        total_steps: training batches of all domains still to run (the runner may set
            ``bar.total`` later, once it knows them).
        num_domains: T + 1, for the "domain k/T+1" label.
        enabled: False prints nothing at all (``--quiet``, tests).
        stream: where progress goes (default: ``sys.stderr`` at construction).
        heartbeat_s: seconds between heartbeat lines in a log (default: :data:`HEARTBEAT_S`, read
            when the plugin is made, so that a test or a wrapper can change it for a whole run).
        clock: seconds, monotonic (tests pass a fake one).
    """

    def __init__(
        self,
        total_steps: int,
        num_domains: int,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        heartbeat_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.num_domains = num_domains
        self.stream = stream if stream is not None else sys.stderr
        self.lines = enabled and not is_terminal(self.stream)
        """Write log lines (stderr is not a terminal) rather than a bar."""
        self.bar = tqdm(
            total=total_steps,
            unit="step",
            disable=True if not enabled or self.lines else None,
            dynamic_ncols=True,
            leave=False,
            file=stream,
        )
        self.heartbeat_s = HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self.clock = clock
        self._step = 0
        self._started: float | None = None  # the run's first domain start (this process's part of it)
        self._domain_started = 0.0
        self._domain_iterations = 0
        self._last_line = 0.0

    def _label(self, strategy: LifelongStrategy) -> str:
        domain = strategy.domain
        return f"domain {domain.index + 1}/{self.num_domains} {domain.name}"

    def before_training_exp(self, strategy: LifelongStrategy, *args: Any, **kwargs: Any) -> None:
        cached = " (source from cache)" if strategy.source_from_cache else ""
        self.bar.set_description(f"{self._label(strategy)}{cached}")
        now = self.clock()
        if self._started is None:
            self._started = self._last_line = now
        self._domain_started = now
        self._domain_iterations = 0

    def after_training_iteration(self, strategy: LifelongStrategy, *args: Any, **kwargs: Any) -> None:
        self._step += 1
        self._domain_iterations += 1
        self.bar.update(1)
        if self.lines:
            now = self.clock()
            if now - self._last_line >= self.heartbeat_s:
                self._heartbeat(strategy, now)
        elif self._step % _LOSS_EVERY == 0:
            self.bar.set_postfix(
                step=f"{strategy.domain_step}/{strategy.domain_steps}", loss=f"{strategy.loss.item():.4f}"
            )

    def _heartbeat(self, strategy: LifelongStrategy, now: float) -> None:
        """``domain 2/3 d1: step 120/500, loss 0.0412, 2m00s elapsed, about 6m20s left``."""
        loss = strategy.loss
        value = float(loss.item() if hasattr(loss, "item") else loss)
        self._write(
            f"{self._label(strategy)}: step {strategy.domain_step}/{strategy.domain_steps}, loss {value:.4g}, "
            f"{self._elapsed(now)}{self._left(now)}",
            now,
        )

    def after_training_exp(self, strategy: LifelongStrategy, *args: Any, **kwargs: Any) -> None:
        if not self.lines:
            return
        now = self.clock()
        how = ""
        if self._domain_iterations == 0:  # a source loaded (cache, checkpoint), a target it does not train on
            how = " (source given, not trained)" if strategy.domain.index == 0 else " (no training on it)"
        self._write(
            f"{self._label(strategy)}: trained {self._domain_iterations} steps in "
            f"{duration(now - self._domain_started)}{how}; {self._elapsed(now)}{self._left(now)}",
            now,
        )

    def _elapsed(self, now: float) -> str:
        return f"{duration(now - (self._started if self._started is not None else now))} elapsed"

    def _left(self, now: float) -> str:
        """``, about 6m20s left`` from the run's pace so far; "" before any step or without a total."""
        total = self.bar.total or 0
        if self._step == 0 or self._started is None or total <= self._step:
            return ""
        pace = (now - self._started) / self._step
        return f", about {duration(pace * (total - self._step))} left"

    def _write(self, line: str, now: float) -> None:
        print(line, file=self.stream, flush=True)
        self._last_line = now

    def close(self) -> None:
        self.bar.close()
