"""Tests of panodepth.losses.stats: masked per-map median / mean / MAD."""

import torch

from panodepth.losses import masked_mad, masked_mean, masked_median, valid_count


class TestMaskedMedian:
    def test_odd_count(self):
        x = torch.tensor([[5.0, 1.0, 3.0]])
        assert masked_median(x, torch.ones_like(x, dtype=torch.bool)) == 3.0

    def test_even_count_is_lower_median_like_torch(self):
        x = torch.tensor([[4.0, 1.0], [3.0, 2.0]])
        full = torch.ones_like(x, dtype=torch.bool)
        assert masked_median(x, full) == 2.0
        assert masked_median(x, full) == torch.median(x)

    def test_mask_excludes_values(self):
        x = torch.tensor([[1.0, 2.0], [3.0, 100.0]])
        mask = torch.tensor([[True, True], [True, False]])
        assert masked_median(x, mask) == 2.0
        x[1, 1] = -100.0  # would become the lower median if the mask were dropped
        assert masked_median(x, mask) == 2.0

    def test_per_map_vectorised(self):
        x = torch.rand(3, 4, 5, 6)
        mask = torch.rand(3, 4, 5, 6) > 0.3
        med = masked_median(x, mask)
        assert med.shape == (3, 4)
        for i in range(3):
            for j in range(4):
                assert med[i, j] == torch.median(x[i, j][mask[i, j]])

    def test_no_valid_pixel_gives_zero(self):
        x = torch.rand(2, 3, 3)
        mask = torch.zeros_like(x, dtype=torch.bool)
        mask[1] = True
        med = masked_median(x, mask)
        assert med[0] == 0.0
        assert med[1] == torch.median(x[1])

    def test_gradient_flows_to_the_selected_element_only(self):
        x = torch.tensor([[5.0, 1.0, 3.0, float("nan")]], requires_grad=True)
        mask = torch.tensor([[True, True, True, False]])
        masked_median(x, mask).backward()
        assert x.grad.tolist() == [[0.0, 0.0, 1.0, 0.0]]


class TestMaskedMeanMad:
    def test_mean_hand_values(self):
        x = torch.tensor([[1.0, 2.0], [3.0, float("inf")]])
        mask = torch.tensor([[True, True], [True, False]])
        assert masked_mean(x, mask) == 2.0
        assert valid_count(mask) == 3

    def test_mad_hand_values(self):
        x = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
        full = torch.ones_like(x, dtype=torch.bool)
        assert masked_mad(x, full, torch.tensor(2.0)) == (1 + 0 + 1 + 4) / 4

    def test_nan_at_invalid_pixel_gives_finite_gradient(self):
        x = torch.tensor([[1.0, 2.0], [3.0, float("nan")]], requires_grad=True)
        mask = torch.tensor([[True, True], [True, False]])
        masked_mad(x, mask, masked_median(x, mask)).backward()
        assert torch.isfinite(x.grad).all()
        assert x.grad[1, 1] == 0.0
