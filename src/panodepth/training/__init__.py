"""Training: checkpoints now; the Lightning module and data module of the recipe come here.

:mod:`.checkpoint` saves and loads students by registry name (safetensors).
"""

from .checkpoint import load_student, save_student

__all__ = ["load_student", "save_student"]
