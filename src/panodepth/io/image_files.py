"""Opening image files with one policy: the pixel limit, EXIF orientation, errors naming the file.

Every reader of an image file in panodepth (RGB panoramas, depth PNGs, masks) opens it with
:func:`load_image`:

* **Pixel limit.** Pillow's guard against decompression bombs (a tiny file that decodes to
  gigabytes) warns above 89 MP and raises above 179 MP with its own traceback. Here the file
  is refused above :func:`max_pixels` (default :data:`DEFAULT_MAX_PIXELS` ≈ 179 MP, Pillow's
  own) with an error that names the file, its size and how to raise the limit: the
  environment variable ``PANODEPTH_MAX_PIXELS`` (e.g. ``PANODEPTH_MAX_PIXELS=600000000`` for
  a 32768×16384 giga-panorama). Above :data:`LARGE_PIXELS` (89 MP) one warning line of ours
  says how much memory reading it takes, instead of Pillow's.
* **Errors.** A missing file, a folder, a file that cannot be read (permissions) and a file
  that is not an image each get their own message naming the path, as the caller's error
  type (``error``).
* **EXIF orientation** (``exif=True``, photos only): a phone JPEG stored sideways with an
  orientation tag is turned upright, as viewers show it.

The pixel limit is applied per call: Pillow's global limit is lifted only while the header
is read (Pillow checks it there), and restored after.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import FileFormatError

MAX_PIXELS_ENV = "PANODEPTH_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 2 * 89_478_485  # Pillow's error threshold, ≈ 179 MP
LARGE_PIXELS = 89_478_485  # Pillow's warning threshold, ≈ 89 MP
BYTES_PER_PIXEL = 40  # peak memory of `panodepth predict` per pixel (BENCHMARKS.md, 8K/16K)


def max_pixels() -> int:
    """The largest image (width × height) read: ``$PANODEPTH_MAX_PIXELS`` or the default."""
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(raw))
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{MAX_PIXELS_ENV} must be a positive number of pixels, got {raw!r}")
    return value


def load_image(
    path: str | os.PathLike,
    what: str = "an image",
    error: type[FileFormatError] = FileFormatError,
    exif: bool = False,
) -> Image.Image:
    """Open, check and decode an image file (see the module docstring); the file is closed
    (the returned image holds the pixels).

    Args:
        what: what the file should be, for messages ("a depth image", "a mask image", …).
        error: the error type raised (a :class:`~.errors.FileFormatError`).
        exif: apply the EXIF orientation tag (photos).

    Raises:
        error: missing, a folder, unreadable, not an image, over the pixel limit, or corrupt.
    """
    path = Path(path)
    im = _open_checked(path, what, error)
    try:
        try:
            im.load()  # decodes, and closes the file of a single-frame image
        except (OSError, SyntaxError, ValueError) as err:
            raise error(f"{path}: cannot be read as {what} ({_reason(err, path)})") from None
        if exif:
            upright = ImageOps.exif_transpose(im)
            if upright is not None and upright is not im:
                im.close()
                im = upright
        return im
    except BaseException:
        im.close()
        raise


def image_header(
    path: str | os.PathLike,
    what: str = "an image",
    error: type[FileFormatError] = FileFormatError,
    exif: bool = False,
) -> tuple[int, int]:
    """``(width, height)`` of an image file from its header (nothing decoded), under the
    same checks as :func:`load_image`; with ``exif`` the size of the upright image."""
    path = Path(path)
    with _open_checked(path, what, error) as im:
        w, h = im.size
        if exif and im.getexif().get(EXIF_ORIENTATION) in (5, 6, 7, 8):  # turned by 90°
            w, h = h, w
    return w, h


EXIF_ORIENTATION = 0x0112


def _open_checked(path: Path, what: str, error: type[FileFormatError]) -> Image.Image:
    """The opened (not decoded) image, its size checked against the pixel limit."""
    limit = max_pixels()
    saved = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None  # the limit is ours, below
            im = Image.open(path)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not {what}") from None
    except PermissionError:
        raise error(f"{path}: permission denied (cannot read the file)") from None
    except UnidentifiedImageError:
        kind = (
            "an empty file"
            if _size(path) == 0
            else "not PNG, JPEG, TIFF, WebP or another image format"
        )
        raise error(f"{path}: cannot be read as {what} ({kind})") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise error(f"{path}: cannot be read as {what} ({_reason(err, path)})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    w, h = im.size
    pixels = w * h
    if pixels > limit:
        im.close()
        raise error(
            f"{path}: {w}×{h} = {pixels / 1e6:.0f} MP is over the {limit / 1e6:.0f} MP limit "
            f"for image files (a guard against decompression bombs); if it is a real "
            f"giga-panorama, set {MAX_PIXELS_ENV}={pixels} (reading and predicting it "
            f"needs about {pixels * BYTES_PER_PIXEL / 2**30:.0f} GB of memory)"
        )
    if pixels > LARGE_PIXELS:
        warnings.warn(
            f"{path}: {w}×{h} = {pixels / 1e6:.0f} MP; predicting it needs about "
            f"{pixels * BYTES_PER_PIXEL / 2**30:.0f} GB of memory",
            stacklevel=3,
        )
    return im


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _reason(err: Exception, path: Path) -> str:
    """Pillow's message without the path repeated in it."""
    return str(err).replace(f"'{path}'", "the file").replace(str(path), "the file")
