"""Students on the Hugging Face Hub: ``save_pretrained``, ``from_pretrained``,
``push_to_hub`` and the model card for every :class:`~panodepth.models.Student360`, through
``huggingface_hub.ModelHubMixin``.

This module owns the methods only. The files are :mod:`panodepth.io`'s: the folder layout
(``model.safetensors``, a ``panodepth-student/1`` student file; ``config.json``; ``README.md``)
is :mod:`panodepth.io.pretrained`, reading and writing are :mod:`panodepth.io.students`, the
card is :mod:`panodepth.io.model_card`. They are imported inside the methods, so
``import panodepth.models`` loads none of them; that is the one place where ``models`` calls
``io`` (``io`` builds students by registry name, at import time).

``from_pretrained`` rebuilds the architecture that the folder names, through
:func:`~panodepth.models.build_model`, whatever class it is called on:
``Student360.from_pretrained`` loads any student; ``UniFuse.from_pretrained`` on a folder that
holds another architecture raises a ``ValueError`` that names both (nothing is converted).

Example (``from_pretrained`` returns the student in eval mode, as ``huggingface_hub``'s
PyTorch mixin does)::

    student = build_model("pano-unet", width=4)
    student.save_pretrained("my-student", model_card_kwargs={"license": "mit"})
    again = Student360.from_pretrained("my-student")  # or "user/my-student" on the Hub
    student.push_to_hub("user/my-student", model_card_kwargs={"license": "mit"})
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from huggingface_hub import ModelHubMixin

if TYPE_CHECKING:
    from huggingface_hub import ModelCard

T = TypeVar("T", bound="StudentHubMixin")


class StudentHubMixin(ModelHubMixin):
    """``huggingface_hub.ModelHubMixin`` for students (a base of ``Student360``).

    * ``save_pretrained(folder, model_card_kwargs=...)`` writes the pretrained folder: weights
      and ``config.json`` (:func:`panodepth.io.students.save_student_folder`; the mixin's
      ``config`` argument is not used: the config always describes the student), then
      ``README.md`` from :meth:`generate_model_card` unless the folder has one already (as
      ``huggingface_hub`` does: delete it to write a new one);
    * ``push_to_hub(repo_id, model_card_kwargs=...)`` saves into a temporary folder and
      uploads it (``huggingface_hub``'s; needs a token, ``hf auth login``);
    * ``model_card_kwargs``: the keywords of :func:`panodepth.io.model_card.student_card`
      (``license``, ``training_data``, ``training_config``, ``metrics``,
      ``metrics_protocol``, ``description``, ``repo_id``).
    """

    def _save_pretrained(self, save_directory: Path) -> None:
        from panodepth.io.students import save_student_folder

        save_student_folder(self, save_directory)  # type: ignore[arg-type]

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        """The model card (:func:`panodepth.io.model_card.student_card` with ``kwargs``)."""
        from panodepth.io.model_card import student_card

        if args:
            raise TypeError("generate_model_card takes keyword arguments only")
        return student_card(self, **kwargs)  # type: ignore[arg-type]

    def push_to_hub(
        self, repo_id: str, *, model_card_kwargs: dict[str, Any] | None = None, **kwargs: Any
    ) -> str:
        """Upload the pretrained folder to ``repo_id`` (``huggingface_hub``'s ``push_to_hub``;
        the card's usage lines name ``repo_id`` when it has the ``owner/`` part)."""
        card = dict(model_card_kwargs or {})
        if "/" in repo_id:
            card.setdefault("repo_id", repo_id)
        return super().push_to_hub(repo_id, model_card_kwargs=card, **kwargs)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls: type[T],
        pretrained_model_name_or_path: str | os.PathLike,
        *,
        force_download: bool = False,
        token: str | bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        local_files_only: bool | None = None,
        revision: str | None = None,
        **overrides: Any,
    ) -> T:
        """The student saved in a pretrained folder or on the Hub, rebuilt, loaded, in eval mode.

        Args:
            pretrained_model_name_or_path: a folder written by ``save_pretrained``, a hub id
                ``owner/name`` or ``owner/name@revision``, or any other student source of
                :func:`panodepth.io.students.load_student` (a student file, a ``.ckpt``, a
                released checkpoint).
            force_download, token, cache_dir, revision: for the download of a hub id
                (``huggingface_hub.snapshot_download``).
            local_files_only: never download (``None``: ``HF_HUB_OFFLINE`` decides).
            overrides: builder options that do not change the weights (e.g. ``max_depth``).

        Raises:
            ValueError: the source cannot be loaded (the message says why and what to do),
                or it holds an architecture that is not a ``cls``.
        """
        from panodepth.io.hub import Download
        from panodepth.io.students import load_student

        source = pretrained_model_name_or_path
        download = Download(revision, cache_dir, force_download, local_files_only, token)
        model = load_student(source, download=download, **overrides)
        if not isinstance(model, cls):
            raise ValueError(
                f"{os.fspath(source)!r} holds a {model.model_name} student "
                f"({type(model).__name__}), not a {cls.__name__}; load it with "
                "Student360.from_pretrained (any architecture)"
            )
        return model.eval()
