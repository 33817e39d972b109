"""The Depth Anywhere release's own math, for students built from its released weights.

panodepth's students depart from the code the paper's checkpoints were trained with where
that code is wrong or tied to one size (documented in each student's module). Weights trained
with the release's math only give the paper's numbers with that math, so every student has a
``release_math`` option that switches its departures back; ``panodepth convert`` and
:func:`panodepth.models.load_released` turn it on. What it changes, per student:

* ``unifuse``: the cube faces are sampled as the release's data loader does (py360convert's
  corner-aligned face grid, SciPy's ``map_coordinates(order=1, mode="wrap")`` on the panorama
  padded with its rolled first and last rows — :func:`.cube.py360_cube_table`), and cube
  features are stitched to equirect as the release's ``Cube2Equirec`` does (one face per
  pixel from a rounded face-type map, bilinear inside the face with border clamping —
  :func:`.cube.unifuse_stitch_table`);
* ``bifusepp``: the release's ``CETransform`` projections (its own face order and
  orientations, corner-aligned equirect sampling, nearest-plane stitching —
  :func:`.cube.bifuse_cube_table`, :func:`.cube.bifuse_stitch_table`) and its fusion order
  (the cube stream goes through a stitch → residual → re-projection round trip);
* ``hohonet``: ImageNet normalisation twice (the release normalises in its data loader and
  again inside the network) and a zero-padded first max-pool (the release wraps only its
  convolutions around in longitude);
* ``egformer``: the original's ERP position-bias tables, PanoFormer sampling pattern and
  sampling convention, and residual layout of vertical stripes (:mod:`.egformer`).

Everything here is computed from the release's formulas for any input size (the release
builds its tables for 512×1024, or for a fixed list of heights), cached per size and device,
and never stored in a state dict. The tables are checked against the release's own code in
``benchmarks/release_parity.py`` and against SciPy in the tests.
"""

from .tables import GatherTable, gather

__all__ = ["GatherTable", "gather"]
