"""Students on the Hub, offline: pretrained folders (save_pretrained / from_pretrained), the
model card, hub ids read from a local Hugging Face cache, and the errors when a folder or hub
id cannot be loaded (panodepth.io.hub, .pretrained, .model_card, .students; models.hub)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard
from safetensors.torch import save_file

from panodepth.io import load_student, read_student_metadata
from panodepth.io.hub import HubId, load_error_message, offline_from_env, parse_hub_id
from panodepth.models import Student360, build_model
from panodepth.models.egformer import EGFormer
from panodepth.models.small import PanoUNet
from tests.io.hub_helpers import SHA, cache_repo, same_outputs

STUDENTS = {  # two architectures, one metric and one relative, small enough for the fast loop
    "pano-unet": {"width": 4, "output": "depth", "max_depth": 8.0},
    "egformer": {},
}


def _student(name: str) -> Student360:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return build_model(name, **STUDENTS[name]).eval()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Student360, Path]]:
    """name → (student, its folder written by save_pretrained), once for the module."""
    out = {}
    for name in STUDENTS:
        model = _student(name)
        folder = tmp_path_factory.mktemp("pretrained") / name
        model.save_pretrained(folder)
        out[name] = (model, folder)
    return out


# --- hub ids -------------------------------------------------------------------------------


def test_hub_ids_and_paths_are_told_apart(tmp_path, monkeypatch):
    assert parse_hub_id("owner/model") == HubId("owner/model")
    assert parse_hub_id("owner/model.v2@refs/pr/1") == HubId("owner/model.v2", "refs/pr/1")
    assert str(HubId("owner/model", "v1")) == "owner/model@v1"
    for path in ("./owner/model", "/abs/model", "~/model", "a/b/c", "model", "owner/model@",
                 "runs/best.ckpt", "out/student.safetensors", "x\\y", "-bad/name"):  # fmt: skip
        assert parse_hub_id(path) is None, path
    assert parse_hub_id(Path("owner/model")) is None  # a PathLike is a path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "owner" / "model").mkdir(parents=True)
    assert parse_hub_id("owner/model") is None  # an existing path wins


def test_offline_mode_is_read_from_the_environment_when_asked(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "yes")
    assert offline_from_env()
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    assert not offline_from_env()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # restored by monkeypatch: the suite is offline


def test_the_load_error_message_is_one_line_with_the_way_out(tmp_path):
    common = dict(what="a thing", model="thing", needs="a.bin", usage="load('DIR')",
                  example_id="org/default")  # fmt: skip
    offline = load_error_message("org/name@v2", OSError("no\nmore"), local_files_only=True,
                                 **common)  # fmt: skip
    assert offline.startswith("could not load a thing from 'org/name@v2': ")
    assert "offline mode is on" in offline and "cause: OSError: no" in offline
    assert "`hf download org/name --revision v2 --local-dir DIR`" in offline
    assert "load('DIR')" in offline and "\n" not in offline
    online = load_error_message("org/name", None, local_files_only=False, **common)
    assert "could not be reached" in online and "cause" not in online
    empty = load_error_message(str(tmp_path), None, local_files_only=True, **common)
    assert "exists but holds no loadable thing (it needs a.bin)" in empty
    assert "hf download org/default" in empty
    missing = load_error_message("./gone", None, local_files_only=True, **common)
    assert "'./gone' is not an existing directory (nor a valid hub id)" in missing


# --- pretrained folders ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(STUDENTS))
def test_save_pretrained_round_trip(saved, name):
    model, folder = saved[name]
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
    ]
    meta = read_student_metadata(folder)  # the weights are a plain student file
    assert meta["format"] == "panodepth-student/1" and meta["name"] == name
    config = json.loads((folder / "config.json").read_text())
    assert config == {"library_name": "panodepth", "model_name": name,
                      "model_options": STUDENTS[name], "weights": "model.safetensors"}  # fmt: skip
    again = Student360.from_pretrained(folder)
    assert type(again) is type(model) and not again.training
    assert again.model_name == name and again.model_options == model.model_options
    assert same_outputs(again, model)
    assert same_outputs(load_student(folder / "model.safetensors").eval(), model)
    assert same_outputs(load_student(str(folder)).eval(), model)


def test_from_pretrained_on_a_subclass(saved):
    model, folder = saved["pano-unet"]
    assert same_outputs(PanoUNet.from_pretrained(folder), model)
    with pytest.raises(ValueError, match=r"holds a pano-unet student \(PanoUNet\), not a EGFormer"):
        EGFormer.from_pretrained(folder)
    again = Student360.from_pretrained(folder, max_depth=4.0)  # an override, as load_student
    assert again.max_depth == 4.0 and again.model_options["max_depth"] == 4.0


def test_model_card(saved):
    card = ModelCard.load(saved["pano-unet"][1] / "README.md")
    data = card.data.to_dict()
    assert data["library_name"] == "panodepth" and data["pipeline_tag"] == "depth-estimation"
    assert {"depth-estimation", "360", "panorama", "pano-unet"} <= set(data["tags"])
    assert data["license"] == "other" and data["license_name"] == "unknown"
    text = card.text
    params = sum(p.numel() for p in saved["pano-unet"][0].parameters())
    assert f"| parameters | {params:,} |" in text and "`pano-unet` (PanoUNet)" in text
    assert "**metric depth** in metres, below 8 m" in text
    assert "**not stated**" in text and "**Data:** not stated." in text
    assert "None reported." in text
    assert "panodepth predict --checkpoint <user>/<model> pano.jpg" in text
    assert 'Student360.from_pretrained("<user>/<model>")' in text
    relative = ModelCard.load(saved["egformer"][1] / "README.md").text
    assert "**relative disparity**" in relative and "`egformer` (EGFormer)" in relative


def test_model_card_with_what_the_caller_knows(tmp_path, shared_student):
    model = shared_student("pano-unet", width=4)
    model.save_pretrained(tmp_path / "m", model_card_kwargs={
        "license": "apache-2.0", "repo_id": "me/pano-unet", "training_data": ["A", "B"],
        "training_config": {"lr": 1e-3}, "metrics": {"C": {"abs_rel": 0.1234567, "delta1": 0.9}},
        "metrics_protocol": "lsq_disparity", "description": "A test student.",
    })  # fmt: skip
    card = ModelCard.load(tmp_path / "m" / "README.md")
    assert card.data.license == "apache-2.0" and card.data.to_dict().get("license_name") is None
    text = card.text
    assert "# me/pano-unet\n\nA test student.\n" in text
    assert "| licence | `apache-2.0` |" in text and "**Data:** A, B" in text
    assert '"lr": 0.001' in text and "| C | 0.1235 | 0.9 |" in text
    assert "Alignment protocol: lsq_disparity" in text
    assert "panodepth predict --checkpoint me/pano-unet pano.jpg" in text
    assert "<user>" not in text
    # save_pretrained keeps an existing card (as huggingface_hub does)
    model.save_pretrained(tmp_path / "m")
    assert ModelCard.load(tmp_path / "m" / "README.md").data.license == "apache-2.0"


def test_push_to_hub_uploads_the_pretrained_folder(tmp_path, monkeypatch, shared_student):
    """The upload itself needs the network: HfApi's two calls are replaced by recorders, so
    this checks what push_to_hub would create and upload, not that the Hub accepts it."""
    from huggingface_hub import HfApi, RepoUrl

    uploaded: dict[str, object] = {}

    def create_repo(self, repo_id, **kwargs):
        return RepoUrl(f"https://huggingface.co/{repo_id}")

    def upload_folder(self, *, repo_id, folder_path, **kwargs):
        uploaded.update(repo_id=repo_id, files={p.name: p.read_bytes() for p in
                                                 Path(folder_path).iterdir()})  # fmt: skip
        return "commit-url"

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    model = shared_student("pano-unet", width=4)
    assert model.push_to_hub("me/tiny", model_card_kwargs={"license": "mit"}) == "commit-url"
    files = uploaded["files"]
    assert uploaded["repo_id"] == "me/tiny"
    assert sorted(files) == ["README.md", "config.json", "model.safetensors"]
    card = files["README.md"].decode()
    assert "panodepth predict --checkpoint me/tiny pano.jpg" in card and "license: mit" in card
    (tmp_path / "got").mkdir()
    for name, blob in files.items():
        (tmp_path / "got" / name).write_bytes(blob)
    assert same_outputs(Student360.from_pretrained(tmp_path / "got"), model)


# --- hub ids: the local cache and the errors ---------------------------------------------------


def test_hub_id_loads_from_the_local_cache_offline(saved, hf_cache, network_attempts):
    model, folder = saved["pano-unet"]
    cache_repo(hf_cache, "someone/pano-student", folder, refs=("main", "v1"))
    for source in (
        "someone/pano-student",
        "someone/pano-student@v1",
        f"someone/pano-student@{SHA}",
    ):
        assert same_outputs(load_student(source).eval(), model), source
    again = Student360.from_pretrained("someone/pano-student", revision="v1")
    assert same_outputs(again, model)
    with pytest.raises(ValueError, match=r"revision 'main' contradicts 'someone/pano-student@v1'"):
        Student360.from_pretrained("someone/pano-student@v1", revision="main")
    with pytest.raises(ValueError, match=r"'someone/pano-student@v2' is neither .* offline mode"):
        load_student("someone/pano-student@v2")
    assert network_attempts == []


def test_hub_id_offline_and_not_cached_is_a_clear_error(hf_cache, network_attempts):
    for load in (load_student, Student360.from_pretrained):
        with pytest.raises(ValueError) as info:
            load("panodepth-tests/no-such-student")
        message = str(info.value)
        assert message.startswith(
            "could not load a panodepth student from 'panodepth-tests/no-such-student': "
            "'panodepth-tests/no-such-student' is neither an existing local directory nor a "
            "hub id in the local Hugging Face cache, and offline mode is on"
        )
        assert "`hf download panodepth-tests/no-such-student --local-dir DIR`" in message
        assert "`panodepth predict --checkpoint DIR`" in message
        assert "LocalEntryNotFoundError" in message and "\n" not in message
        assert info.value.__cause__ is None and info.value.__suppress_context__
    assert network_attempts == []


def test_a_cached_repository_without_weights(saved, hf_cache, tmp_path):
    only_config = tmp_path / "only-config"
    only_config.mkdir()
    shutil.copy(saved["egformer"][1] / "config.json", only_config / "config.json")
    cache_repo(hf_cache, "someone/no-weights", only_config)
    with pytest.raises(ValueError, match=r"'someone/no-weights': the repository .* has no "
                       r"model\.safetensors; it is not a student folder"):  # fmt: skip
        load_student("someone/no-weights")


def test_folder_problems_are_clear_errors(saved, tmp_path):
    with pytest.raises(ValueError, match=r"'.*nowhere' is not an existing directory"):
        Student360.from_pretrained(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"exists but holds no loadable panodepth student "
                       r"\(it needs model\.safetensors"):  # fmt: skip
        load_student(empty)
    bad = shutil.copytree(saved["pano-unet"][1], tmp_path / "bad")
    (bad / "model.safetensors").write_bytes(b"\x00 not safetensors")
    with pytest.raises(ValueError, match=r"bad/model\.safetensors: not a readable student"):
        Student360.from_pretrained(bad)
    save_file({"w": torch.zeros(1)}, str(bad / "model.safetensors"))  # safetensors, not ours
    with pytest.raises(ValueError, match=r"model\.safetensors: not a panodepth student file"):
        load_student(bad)
    lying = shutil.copytree(saved["pano-unet"][1], tmp_path / "lying")
    config = json.loads((lying / "config.json").read_text())
    (lying / "config.json").write_text(json.dumps({**config, "model_name": "unifuse"}))
    with pytest.raises(ValueError, match=r"config\.json describes unifuse .* but model\.safetensors"
                       r" holds pano-unet"):  # fmt: skip
        load_student(lying)
    (lying / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"config\.json: not a readable config"):
        load_student(lying)
    (lying / "config.json").unlink()  # the weights describe themselves: no config is fine
    assert same_outputs(load_student(lying).eval(), saved["pano-unet"][0])


def test_missing_checkpoint_files_keep_their_message(tmp_path):
    with pytest.raises(ValueError, match=r"gone\.safetensors: checkpoint not found"):
        load_student(tmp_path / "gone.safetensors")
    with pytest.raises(ValueError, match=r"runs/last\.ckpt: checkpoint not found"):
        load_student("runs/last.ckpt")  # a missing file, not a hub id


class TestUnreachableHub:
    """A Hub whose name does not resolve counts as offline: no 25 s of retries for nothing."""

    @pytest.fixture
    def online_env(self, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
        from panodepth.io.hub import OFFLINE_VARIABLES, PROXY_VARIABLES

        for var in (*OFFLINE_VARIABLES, *PROXY_VARIABLES, "HF_ENDPOINT"):
            monkeypatch.delenv(var, raising=False)
        return monkeypatch

    def test_no_name_resolution_means_the_cache_only(self, online_env) -> None:
        import socket

        from panodepth.io.hub import Download, hub_unreachable, offline_now

        asked: list[str] = []

        def no_dns(host: str, *args: object, **kwargs: object):
            asked.append(host)
            raise socket.gaierror(-2, "Name or service not known")

        online_env.setattr(socket, "getaddrinfo", no_dns)
        assert hub_unreachable() and offline_now() and Download().offline
        assert not Download(local_files_only=False).offline  # the caller's word wins
        reason = Download().offline_reason
        message = load_error_message(
            "owner/model",
            None,
            what="x",
            model="m",
            needs="n",
            usage="u",
            example_id="e",
            local_files_only=reason,
        )
        assert "cannot reach the Hugging Face Hub (huggingface.co does not resolve)" in message
        assert set(asked) == {"huggingface.co"}
        online_env.setenv("HF_ENDPOINT", "https://hub.example.org")
        asked.clear()
        assert hub_unreachable() and asked == ["hub.example.org"]

    def test_resolving_names_or_a_proxy_means_online(self, online_env) -> None:
        import socket

        from panodepth.io.hub import hub_unreachable, offline_now

        online_env.setattr(socket, "getaddrinfo", lambda *a, **k: [("resolved",)])
        assert not hub_unreachable() and not offline_now()

        def must_not_resolve(*args: object, **kwargs: object):
            raise AssertionError("behind a proxy, this machine's DNS is not asked")

        online_env.setattr(socket, "getaddrinfo", must_not_resolve)
        online_env.setenv("HTTPS_PROXY", "http://proxy:3128")
        assert not hub_unreachable()
        online_env.setenv("HF_HUB_OFFLINE", "1")
        assert offline_now()  # offline mode alone decides, without a lookup
