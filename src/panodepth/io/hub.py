"""Hugging Face Hub sources: hub ids, offline mode, downloads, and the error when a source
cannot be loaded — shared by students (:mod:`.students`) and teachers
(:mod:`panodepth.teachers.depth_anything`).

Conventions:

* a *hub id* is a string ``owner/name`` or ``owner/name@revision`` (a branch, tag or commit)
  that is not an existing path; anything else is a local path: a ``PathLike``, an existing
  path, an absolute path, one that starts with ``.`` or ``~``, holds a backslash or more than
  one ``/`` before the ``@``, or names a checkpoint file (:data:`CHECKPOINT_SUFFIXES`,
  e.g. ``runs/best.ckpt``). :func:`parse_hub_id` is the one rule;
* offline mode is ``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``, read when a source is loaded
  (:func:`offline_from_env`; ``huggingface_hub`` itself reads it once, at import), or a Hub
  whose host name does not resolve (:func:`offline_now`: no retries for nothing): offline,
  a hub id loads from the local Hugging Face cache (``$HF_HOME/hub``) or not at all;
* :func:`load_error_message` is the message every loader gives when a folder or hub id cannot
  be loaded, on one line (a command-line tool prints it as its one error line): what went
  wrong (a folder without the files, a path that does not exist, a hub id neither cached nor
  reachable), how to fetch the files on a machine with internet access and use them here,
  and the cause.

``huggingface_hub`` is imported inside :func:`download_snapshot` only, so importing this
module costs nothing.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt", ".pth", ".pt", ".bin")
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)
DEFAULT_ENDPOINT = "https://huggingface.co"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
_TRUTHY = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class HubId:
    """A model repository on the Hub and, optionally, a revision (branch, tag or commit)."""

    repo_id: str
    revision: str | None = None

    def __str__(self) -> str:
        return self.repo_id if self.revision is None else f"{self.repo_id}@{self.revision}"


def parse_hub_id(source: str | os.PathLike) -> HubId | None:
    """The hub id that ``source`` names, or None when it is a local path (module doc).

    Example:
        >>> parse_hub_id("owner/model@v1")
        HubId(repo_id='owner/model', revision='v1')
        >>> parse_hub_id("./model") is None, parse_hub_id("runs/best.ckpt") is None
        (True, True)
    """
    if not isinstance(source, str) or os.path.exists(source):
        return None
    repo, at, revision = source.partition("@")
    if (at and not revision) or repo.lower().endswith(CHECKPOINT_SUFFIXES):
        return None
    if not _REPO_ID.fullmatch(repo):
        return None
    return HubId(repo, revision or None)


def offline_from_env() -> bool:
    """Whether ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is on, read now."""
    return any(os.environ.get(var, "").strip().lower() in _TRUTHY for var in OFFLINE_VARIABLES)


def hub_host() -> str:
    """The Hub's host name (``HF_ENDPOINT``'s, by default ``huggingface.co``)."""
    return urlparse(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).hostname or ""


def hub_unreachable() -> bool:
    """Whether the Hub's host name does not resolve, so that no download can succeed.

    Then ``huggingface_hub`` would only retry for about 25 s, printing each retry. Not
    judged behind a proxy (``*_PROXY`` set): the proxy resolves names, not this machine.
    """
    if any(os.environ.get(var) for var in PROXY_VARIABLES):
        return False
    try:
        socket.getaddrinfo(hub_host(), 443)
    except OSError:
        return True
    return False


def offline_reason() -> str | None:
    """Why only the local cache may be used now, or None: offline mode
    (:func:`offline_from_env`), else a Hub that cannot be reached (:func:`hub_unreachable`)."""
    if offline_from_env():
        return "offline mode is on (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)"
    if hub_unreachable():
        return f"this machine cannot reach the Hugging Face Hub ({hub_host()} does not resolve)"
    return None


def offline_now() -> bool:
    """Whether only the local cache may be used now (:func:`offline_reason`)."""
    return offline_reason() is not None


@dataclass(frozen=True)
class Download:
    """How a hub id is fetched, as ``huggingface_hub.snapshot_download`` takes it.

    ``revision`` (branch, tag or commit) applies when the id has no ``@revision`` (both and
    different: an error); ``local_files_only`` ``None``: offline mode, or a Hub that cannot
    be reached, decides (:func:`offline_now`).
    """

    revision: str | None = None
    cache_dir: str | os.PathLike | None = None
    force_download: bool = False
    local_files_only: bool | None = None
    token: str | bool | None = None

    @property
    def offline(self) -> bool:
        """Whether nothing may be downloaded (the cache only)."""
        return self.offline_reason is not None

    @property
    def offline_reason(self) -> str | None:
        """Why nothing may be downloaded, or None (:func:`offline_reason`)."""
        if self.local_files_only is None:
            return offline_reason()
        return "offline mode is on (local_files_only)" if self.local_files_only else None


def download_snapshot(hub_id: HubId, files: Sequence[str], download: Download) -> Path:
    """The local folder (in the Hugging Face cache) holding ``files`` of ``hub_id``.

    Downloads what the cache lacks, unless ``download.offline``. The folder may lack files the
    repository does not have; the caller checks. Errors are ``huggingface_hub``'s
    (``OSError`` s and ``ValueError`` s): callers turn them into :func:`load_error_message`.
    """
    from huggingface_hub import snapshot_download

    revision = hub_id.revision
    if download.revision is not None:
        if revision not in (None, download.revision):
            raise ValueError(f"revision {download.revision!r} contradicts {str(hub_id)!r}")
        revision = download.revision
    folder = snapshot_download(
        hub_id.repo_id,
        revision=revision,
        allow_patterns=list(files),
        cache_dir=download.cache_dir,
        force_download=download.force_download,
        local_files_only=download.offline,
        token=download.token,
    )
    return Path(folder)


def load_error_message(
    source: str,
    err: BaseException | None,
    *,
    what: str,
    model: str,
    needs: str,
    usage: str,
    example_id: str,
    local_files_only: bool | str | None,
) -> str:
    """Why ``source`` (a folder or hub id) could not be loaded, and what to do instead.

    Args:
        source: the folder or hub id as the caller gave it.
        err: the error that the loader raised (its first line is quoted), if any.
        what: what was to be loaded, e.g. ``"teacher weights"``.
        model: what a folder should hold, e.g. ``"depth model"``.
        needs: what a folder must hold, e.g. ``"config.json and model.safetensors"``.
        usage: how to pass a downloaded folder, e.g. ``'build_teacher("DIR")'``.
        example_id: the hub id shown in the download lines when ``source`` is not one.
        local_files_only: whether the loader was offline, or why (:func:`offline_reason`);
            it changes the explanation.
    """
    hub_id = parse_hub_id(source)
    if os.path.isdir(source):
        problem = (
            f"the directory {source!r} exists but holds no loadable {model} (it needs {needs})"
        )
    elif hub_id is None:
        problem = f"{source!r} is not an existing directory (nor a valid hub id)"
    else:
        if isinstance(local_files_only, str):
            offline = local_files_only
        elif local_files_only:
            offline = "offline mode is on (HF_HUB_OFFLINE / local_files_only)"
        else:
            offline = "the Hugging Face Hub could not be reached"
        problem = (
            f"{source!r} is neither an existing local directory nor a hub id in the local "
            f"Hugging Face cache, and {offline}; this machine may be offline, or the id or "
            "path may be misspelled"
        )
    shown = example_id if hub_id is None else hub_id.repo_id
    if hub_id is not None and hub_id.revision is not None:
        shown += f" --revision {hub_id.revision}"
    message = f"could not load {what} from {source!r}: {problem}. " + download_instructions(
        shown, f"pass the directory instead of the id: {usage}"
    )
    if err is not None:
        message += f" (cause: {type(err).__name__}: {_first_line(err)})"
    return message


def is_bare_name(source: str | os.PathLike) -> bool:
    """A bare word: neither an existing path, nor a hub id, nor written like a path or a file
    (``/``, a leading ``.`` or ``~``, a suffix) — a name to look up, or a typo of one."""
    text = os.fspath(source)
    return not (
        os.path.exists(text)
        or parse_hub_id(text) is not None
        or "/" in text
        or os.sep in text
        or text.startswith(("~", "."))
        or Path(text).suffix
    )


def unknown_name_message(what: str, source: str, known: Sequence[str]) -> str:
    """Why ``source`` names nothing: not one of the ``known`` names, an existing path nor a
    hub id (``owner/name``); with the closest known names, e.g. for a typo. Callers raise it
    *before* any network call (a typo must not wait for the Hub's retries)."""
    from panodepth.checks import did_you_mean

    return (
        f"{what} {source!r}{did_you_mean(source, known)} is neither a known name, an existing "
        f"file or folder, nor a Hugging Face hub id (owner/name). Known names: "
        f"{', '.join(known)}."
    )


def download_instructions(repo: str, then: str, local: str = "DIR") -> str:
    """The one sentence on fetching ``repo`` (``owner/name``, optionally followed by
    ``--revision R``) into ``local`` elsewhere and using it here; ``then`` says how to pass it.
    """
    return (
        f"To use the weights without network access, download them on a machine with "
        f"internet: `hf download {repo} --local-dir {local}` (older huggingface_hub: "
        f"`huggingface-cli download {repo} --local-dir {local}`), copy {local} here and {then}."
    )


def _first_line(err: BaseException, limit: int = 300) -> str:
    line = (str(err).strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 3] + "..."
