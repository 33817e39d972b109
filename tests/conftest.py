"""Fixtures shared by all test packages.

* ``DEVICES`` and the ``device`` fixture: every test that asks for ``device`` runs once per
  available device (the CPU always, CUDA where there is one).
* The offline guard (autouse, whole session): the Hugging Face libraries are put in offline
  mode, and a socket connection to anything but the loopback interface, or a name lookup of
  any host but this one, raises; an attempt that the code under test swallowed still fails
  the test (``network_attempts``).
* ``one_thread``: one intra-op thread for modules of small tensors (autouse in the packages
  of small tensors: data, geometry, inference, io, losses, masks, metrics, teachers).
* Garbage collection is off while collecting and frozen after (2–3 s of the fast loop).
* ``teacher_dir``: the tiny Depth Anything folder (:mod:`panodepth.teachers.tiny`), saved once.
* ``scenes`` and ``domains``: synthetic panoramas rendered once, synthetic datasets written once.
* ``shared_student``: one seeded student per options and test module, shared read-only by
  the module's tests (a full-size student takes up to a second and 200 MB to build).
* ``student_ckpt`` and ``metric_ckpt``: tiny student files, as users' checkpoints are saved.
* ``hf_cache``: an empty Hugging Face cache for one test (offline; fill it with
  ``tests/io/hub_helpers.py``'s ``cache_repo``).
"""

from __future__ import annotations

import functools
import gc
import ipaddress
import os
import socket
from pathlib import Path

import pytest

# no cyclic garbage collection while the test modules and their libraries are imported (it
# would scan the growing heap again and again: 2–3 s); it is frozen and switched back on in
# pytest_collection_finish below
gc.disable()

import torch  # noqa: E402

# before any test module imports huggingface_hub / transformers (they read these at import);
# subprocesses started by tests inherit them
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]
"""The devices of the device tests: the CPU always, CUDA where there is one."""

DOMAIN_HEIGHT = 64  # students need H % 32 == 0; 64×128 keeps a training step well under 1 s


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> str:
    """Each available device in turn (the test's id gets ``[cpu]``, ``[cuda]``)."""
    return request.param


# --- the offline guard -------------------------------------------------------------------

_ATTEMPTS: list[object] = []


def _is_loopback(address: object) -> bool:
    """True for a Unix socket path or an (IP, port, ...) tuple on the loopback interface.

    Host names other than ``localhost`` count as network: resolving them is already a lookup.
    """
    if not isinstance(address, tuple):
        return True  # AF_UNIX: a path (str or bytes) on this machine
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_local_name(host: object) -> bool:
    """True for the host names a name lookup may resolve without asking the network."""
    if host is None or host in ("", b"", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if host == socket.gethostname():
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse_lookup(getaddrinfo):
    @functools.wraps(getaddrinfo)
    def guarded(host: object, *args: object, **kwargs: object):
        if not _is_local_name(host):
            _ATTEMPTS.append(host)
            raise OSError(
                f"name lookup attempted in a test: {host!r} (the tests run offline; "
                "see the offline guard in tests/conftest.py)"
            )
        return getaddrinfo(host, *args, **kwargs)

    return guarded


def _refuse_network(connect):
    @functools.wraps(connect)
    def guarded(self: socket.socket, address: object, *args: object):
        if not _is_loopback(address):
            _ATTEMPTS.append(address)
            raise OSError(
                f"network access attempted in a test: {address!r} (the tests run offline; "
                "see the offline guard in tests/conftest.py)"
            )
        return connect(self, address, *args)

    return guarded


@pytest.fixture(scope="session", autouse=True)
def _offline() -> None:
    """No test reaches the network: offline mode for the Hugging Face libraries, sockets cut
    except to the loopback interface (the DDP test's gloo processes talk over it), no name
    lookups but of this machine."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        try:
            from huggingface_hub import constants
        except ImportError:  # pragma: no cover - a dependency of transformers
            pass
        else:  # read from the environment when huggingface_hub was imported
            mp.setattr(constants, "HF_HUB_OFFLINE", True)
        mp.setattr(socket.socket, "connect", _refuse_network(socket.socket.connect))
        mp.setattr(socket.socket, "connect_ex", _refuse_network(socket.socket.connect_ex))
        mp.setattr(socket, "getaddrinfo", _refuse_lookup(socket.getaddrinfo))
        yield


@pytest.fixture(autouse=True)
def network_attempts() -> list[object]:
    """The non-loopback addresses (and host names) this test tried to reach; each raised.

    Autouse: a test during which an attempt was made fails at teardown, even when the code
    under test caught the ``OSError``.
    """
    _ATTEMPTS.clear()
    yield _ATTEMPTS
    attempts = list(_ATTEMPTS)
    _ATTEMPTS.clear()
    assert not attempts, f"network access attempted: {attempts}"


# --- garbage collection ------------------------------------------------------------------------


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection left alive and turn the collector back on.

    torch, Lightning, transformers and the test modules are millions of objects that every
    full garbage collection would scan again (2 s of the fast loop on 2 cores); frozen, they
    are never scanned (the little garbage of the imports stays, too). Objects the tests
    create are collected as usual.
    """
    gc.freeze()
    gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    gc.enable()  # also when collection never finished


# --- threads -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for modules of small tensors: on a shared 2-core machine two
    OpenMP threads competing with other processes run up to 50× slower. Restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- a tiny teacher --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def teacher_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised Depth Anything folder (seed 0, relative disparity, no
    preprocessor config), written by ``save_tiny_depth_anything`` and loaded like a real one."""
    from panodepth.teachers.tiny import save_tiny_depth_anything

    return save_tiny_depth_anything(tmp_path_factory.mktemp("teacher") / "tiny-da")


# --- synthetic data ------------------------------------------------------------------------

SCENES = {"home": ("home", 0), "office": ("office", 0), "outdoor": ("outdoor", 1)}
"""The shared scenes: name → (domain, index), rendered at 64×128 (seed 0)."""


@pytest.fixture(scope="session")
def scenes() -> dict:
    """Synthetic panoramas (``SyntheticSample``: rgb, depth, valid, mask) at 64×128 rendered
    once per session (:data:`SCENES`): a room (``home``), an ``office`` and an ``outdoor``
    scene with sky. Shared: read them, never change them in place (clone first)."""
    from panodepth.data.synthetic import render_sample

    return {name: render_sample(d, i, height=64) for name, (d, i) in SCENES.items()}


@pytest.fixture(scope="session")
def domains(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three synthetic datasets (``synthesize``, 64×128, seed 1), written once per session:
    ``a`` office ×4 (labeled source), ``b`` outdoor ×4 with watermarks on half (unlabeled
    source), ``c`` home ×2 (held-out target). Read-only: copy a folder before changing it."""
    from panodepth.data.synthetic.dataset import synthesize

    root = tmp_path_factory.mktemp("domains")
    out = {}
    for name, domain, count, wm in (("a", "office", 4, 0.0), ("b", "outdoor", 4, 0.5),
                                    ("c", "home", 2, 0.0)):  # fmt: skip
        synthesize(root / name, domain, count, height=DOMAIN_HEIGHT, seed=1, watermark_prob=wm,
                   progress=False)  # fmt: skip
        out[name] = root / name
    return out


# --- students --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_student():
    """``shared_student(name, **options)``: ``build_model(name, **options)`` built after
    ``torch.manual_seed(0)``, once per test module and options, in eval mode.

    The instance is shared by the module's tests: run it, hook it, patch it with
    ``monkeypatch``; never train it or change its weights or buffers (build your own for
    that). A full-size student takes 0.2–1 s and 60–200 MB of fresh memory to build; the
    cache is dropped after the module, because on the 2-core VM every page fault gets dearer
    as the process grows (a session-wide cache of all students made the suite slower). The
    global RNG is left as it was.
    """
    from panodepth.models import build_model

    cache: dict = {}

    def get(name: str, **options: object):
        key = (name, repr(sorted(options.items())))
        if key not in cache:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                cache[key] = build_model(name, **options).eval()
        return cache[key]

    yield get
    cache.clear()


def _seeded_student_file(folder: Path, name: str, output: str, seed: int) -> Path:
    """A seeded ``pano-unet`` with the ``output`` head, written by ``save_student``."""
    from panodepth.io.students import save_student
    from panodepth.models import build_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model("pano-unet", output=output)
    return save_student(model, folder / name)


@pytest.fixture(scope="session")
def student_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A relative (disparity head) student file: a seeded ``pano-unet``, ``save_student``."""
    return _seeded_student_file(tmp_path_factory.mktemp("student"), "rel.safetensors",
                                "disparity", 0)  # fmt: skip


@pytest.fixture(scope="session")
def metric_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A metric (depth head, max 10 m) student file: a seeded ``pano-unet``."""
    return _seeded_student_file(tmp_path_factory.mktemp("student"), "metric.safetensors",
                                "depth", 1)  # fmt: skip


# --- the Hugging Face cache ------------------------------------------------------------------


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache (``tmp_path/hf/hub``) for this test, offline: HF_HOME and
    HF_HUB_OFFLINE=1 set, and ``huggingface_hub``'s cache folder, which it reads from HF_HOME
    once at import, patched to match. Returns the cache folder."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    return tmp_path / "hf" / "hub"
