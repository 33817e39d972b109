"""The demo: Depth Anywhere's experiment on synthetic domains, on a CPU, in one command.

:mod:`.config` (presets), :mod:`.pipeline` (the stages), :mod:`.evaluation` (one prediction
per model and test panorama, scored), :mod:`.report` (table and figure).
``panodepth demo`` (:mod:`panodepth.cli.demo`) runs :func:`run_demo` then
:func:`write_report`.
"""

from .config import FULL, QUICK, DemoConfig
from .pipeline import DemoResult, run_demo
from .report import write_report

__all__ = ["FULL", "QUICK", "DemoConfig", "DemoResult", "run_demo", "write_report"]
