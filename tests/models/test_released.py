"""Released state dicts → panodepth students: every tensor lands in its place, once.

The manifests hold the release's key names and shapes (facts generated from its code); the
values here are synthetic. That the mapped network computes what the release computes is
checked against the release's own code in ``benchmarks/release_parity.py``.
"""

from __future__ import annotations

import pytest
import torch

from panodepth.models import build_model
from panodepth.models.release_math.cube import bifuse_stitch_table
from panodepth.models.released import (
    LAYOUTS,
    ReleasedWeights,
    ReleaseFormatError,
    convert_state_dict,
    detect_architecture,
    released_names,
    student_of,
)
from tests.models.released_helpers import ARCHES, manifest, release_state

from .student_checks import slow_if_big

# (release keys, constants, unused) counted in the release's own state dicts
COUNTS = {"unifuse": (343, 6, 0), "bifusepp": (1176, 630, 14), "hohonet": (407, 4, 0),
          "egformer": (392, 0, 2)}  # fmt: skip


@pytest.mark.parametrize("arch", slow_if_big(ARCHES))
def test_every_release_tensor_lands_once_in_the_student(arch, one_thread):
    state = release_state(arch)
    layout = LAYOUTS[arch]
    assert len(state) == COUNTS[arch][0]
    assert detect_architecture(state) == arch
    conv = convert_state_dict(state)
    assert (len(conv.constants), len(conv.unused)) == COUNTS[arch][1:]
    model = student_of(conv)  # strict load
    ours = model.state_dict()
    placed: dict[str, str] = {}
    for key, value in state.items():
        if layout.classify(key) != "weight":
            continue
        target = layout.target(key)
        assert target not in placed, f"{key} and {placed.get(target)} → {target}"
        placed[target] = key
        assert torch.equal(ours[target], layout.convert(key, value)), key
        assert ours[target].numel() == value.numel()
    assert set(placed) == set(ours)  # a bijection: nothing missing, nothing extra
    assert model.output == "disparity" and model.release_math
    assert model.head_kind == ("sigmoid" if arch == "unifuse" else "linear")


SPOT_CHECKS = {  # release key → panodepth key, read off the two codes by hand
    "unifuse": {
        "equi_encoder.layer3.1.bn2.running_var": "equi_stages.2.1.bn2.running_var",
        "cube_encoder.conv1.weight": "cube_stem.0.weight",
        "equi_decoder.0.res_conv1.weight": "fusions.4.reduce.0.weight",  # fusion_5, 512 ch
        "equi_decoder.11.selayer.fc.2.weight": "fusions.0.se.fc.2.weight",  # fusion_1
        "equi_decoder.8.conv.weight": "fusions.1.merge.0.weight",
        "equi_decoder.1.conv.conv.weight": "upconvs.4.0.weight",  # upconv_5
        "equi_decoder.12.conv.conv.bias": "iconvs.0.0.bias",  # deconv_1
        "equi_decoder.14.conv.conv.weight": "out_conv.0.0.weight",  # deconv_0
        "equi_decoder.15.conv.weight": "out_conv.1.weight",  # depthconv_0
    },
    "bifusepp": {
        "dnet.resnet_cube.layer1.0.conv1.weight": "cube_stages.0.1.0.conv1.weight",
        "dnet.f2.conv_equi_cat.0.weight": "fuse.1.to_equi.0.weight",
        "dnet.f2.conv_cube_cat.1.running_mean": "fuse.1.to_cube.1.running_mean",
        "dnet.f4.conv_cat.0.bias": "fuse.3.to_skip.0.bias",
        "dnet.deconv3.0.0.weight": "up3.0.0.weight",
        "dnet.deconv1.2.weight": "out.weight",
    },
    "hohonet": {
        "encoder.encoder.conv1.1.weight": "stem.0.weight",
        "encoder.encoder.layer1.0.conv2.1.weight": "stages.0.1.0.conv2.weight",
        "encoder.encoder.layer4.2.conv3.weight": "stages.3.2.conv3.weight",
        "decoder.ghc_lst.0.1.running_var": "compress.0.conv1.1.running_var",
        "decoder.ghc_lst.3.4.1.weight": "compress.3.conv2.0.weight",
        "decoder.ghc_lst.2.7.weight": "compress.2.weight",
        "emb_shared_latent.1.1.weight": "embed.weight",
        "modalities.0.estimator.3.weight": "coefficients.3.weight",
        "modalities.0.bias": "bias",
    },
    "egformer": {
        "patch_embed.2.bias": "stem_norm.bias",
        "stage1.0.blocks.1.dattn.q_proj.weight": "encoder.0.1.dattn.q_proj.weight",
        "stage2.1.qkv.weight": "encoder.1.2.qkv.weight",
        "stage4.1.mlp.fc2.bias": "encoder.3.1.mlp.2.bias",
        "dec_stage7.0.blocks.0.mlp.dwconv.0.weight": "decoder.2.0.mlp.dwconv.weight",
        "dec_stage8.1.proj.weight": "decoder.3.2.proj.weight",
        "bottleneck.0.norm1.weight": "bottleneck.0.norm1.weight",
        "upsample8.conv.weight": "upsample.3.conv.weight",
        "tune5.norm.bias": "tune.0.norm.bias",
        "output_conv.4.weight": "out_conv3.weight",
    },
}


@pytest.mark.parametrize("arch", ARCHES)
def test_hand_checked_names(arch):
    layout = LAYOUTS[arch]
    keys = {k for k, _, _ in manifest(arch)}
    for release, ours in SPOT_CHECKS[arch].items():
        assert release in keys
        assert layout.classify(release) == "weight"
        assert layout.target(release) == ours


def test_reshaped_tensors():
    hoho = LAYOUTS["hohonet"]
    rows = torch.randn(256, 1, 32, 1)  # a depthwise (h, 1) convolution there
    assert torch.equal(hoho.convert("decoder.ghc_lst.2.7.weight", rows), rows[:, 0, :, 0])
    eg = LAYOUTS["egformer"]
    offsets = torch.randn(18, 32)  # 9 taps × (row, column) there, (column, row) here
    out = eg.convert("stage1.0.blocks.0.dattn.offset_proj.weight", offsets)
    assert torch.equal(out[0::2], offsets[1::2]) and torch.equal(out[1::2], offsets[0::2])


def test_what_is_dropped_is_what_the_release_never_trains_or_uses():
    uni, bif, hoho, eg = (LAYOUTS[a] for a in ARCHES)
    assert uni.classify("projectors.3.sample_grid") == "constant"
    assert bif.classify("dnet.f3.CE.c2e.(64).XY_2") == "constant"
    assert bif.classify("dnet.ce.e2c.(512,1024).grid_5") == "constant"
    assert bif.classify("dnet.f4.conv_cube_cat.0.weight") == "unused"
    assert bif.classify("dnet.f3.conv_cube_cat.0.weight") == "weight"  # used before stage 4
    assert hoho.classify("modalities.0.basis") == "constant"
    assert eg.classify("norm.weight") == "unused"
    assert eg.classify("tune_final.norm.weight") == "weight"


def test_bifuse_face_assignment_matches_the_release():
    """The release stores, per stitch size, how many equirect pixels each face serves (its
    ``XY_i`` buffers); panodepth's table assigns the same pixels to each face."""
    shapes = {k: s for k, s, _ in manifest("bifusepp") if k.startswith("dnet.ce.c2e.")}
    for face in (4, 8, 16, 32, 64, 128, 256):
        table = bifuse_stitch_table(face, 2 * face, 4 * face, torch.device("cpu"))
        faces = table.index[0] // (face * face)
        counts = torch.bincount(faces, minlength=6).tolist()
        assert counts == [shapes[f"dnet.ce.c2e.({face}).XY_{i}"][0] for i in range(6)]


def test_data_parallel_prefix_and_detection_errors():
    state = release_state("egformer")
    wrapped = {f"module.{k}": v for k, v in state.items()}
    assert convert_state_dict(wrapped).arch == "egformer"
    with pytest.raises(ReleaseFormatError, match=r"not a released HoHoNet state dict"):
        convert_state_dict(state, "hohonet", source="eg.pth")
    with pytest.raises(ReleaseFormatError, match=r"cannot tell.*unifuse \(UniFuse\)"):
        detect_architecture({"foo.weight": torch.zeros(1)})
    with torch.device("meta"):  # detection reads key names only
        ours = build_model("egformer").state_dict()
    with pytest.raises(ReleaseFormatError, match="looks like a panodepth state dict"):
        detect_architecture(ours)
    del state["stage3.0.qkv.weight"]
    with pytest.raises(ReleaseFormatError, match=r"panodepth keys without a value.*qkv"):
        convert_state_dict(state)


def test_shape_mismatch_and_wrong_constants_are_named():
    state = release_state("egformer")
    state["stage3.0.qkv.weight"] = torch.zeros(3, 3)
    with pytest.raises(ReleaseFormatError, match=r"'stage3.0.qkv.weight' has shape \(3, 3\)"):
        convert_state_dict(state, source="eg.pth")


def test_weights_table():
    members = list(ReleasedWeights)
    assert len(members) == 10
    names = released_names()
    assert len(set(names)) == 10 and all(n == n.lower() for n in names)
    assert "unifuse-mp3d-st3d" in names and "bifusepp-mp3d-spatialaudiogen" in names
    for m in members:
        ckpt = m.value
        with torch.device("meta"):
            model = build_model(ckpt.arch, **LAYOUTS[ckpt.arch].options)
        assert sum(p.numel() for p in model.parameters()) == ckpt.num_params
        assert ReleasedWeights.get(ckpt.name) is m and ReleasedWeights.get(m.name) is m
        assert ReleasedWeights.identify(ckpt.file, ckpt.arch) is m
        assert (ckpt.zero_shot_s2d3d is None) == (ckpt.data == "spatialaudiogen")
    assert ReleasedWeights.UNIFUSE_MP3D_ST3D.value.file == "UniFuse_st3d.pth"
    assert ReleasedWeights.BIFUSEPP_MP3D.value.folder == "BiFuseV2"
    assert ReleasedWeights.EGFORMER_MP3D_ST3D.value.zero_shot_s2d3d == (0.086, 0.923)
    assert ReleasedWeights.identify("unifuse_SPATIALAUDIOGEN.PTH", "unifuse").name.endswith("GEN")
    assert ReleasedWeights.identify("my_finetune.pth", "unifuse") is None
    with pytest.raises(ValueError, match="unknown released checkpoint 'unifuse-foo'"):
        ReleasedWeights.get("unifuse-foo")
