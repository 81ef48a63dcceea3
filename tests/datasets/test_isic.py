import json

import numpy as np
import pytest
import torch
from PIL import Image

from longrange_datasets import INPUT_DIR, ISIC2018, MASK_DIR, write_synthetic_isic
from longrange_datasets.errors import CorruptDataError, MissingDataError


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_synthetic_isic(tmp_path_factory.mktemp("isic"), num_images=12, seed=0)


def test_generator_writes_the_official_layout_deterministically(root, tmp_path):
    images = sorted((root / INPUT_DIR).glob("ISIC_*.jpg"))
    masks = sorted((root / MASK_DIR).glob("ISIC_*_segmentation.png"))
    assert len(images) == len(masks) == 12
    m = np.asarray(Image.open(masks[0]))
    assert set(np.unique(m)) <= {0, 255}
    assert 0.02 < (m > 0).mean() < 0.6
    again = write_synthetic_isic(tmp_path / "again", num_images=2, seed=0)
    assert (again / INPUT_DIR / "ISIC_0000000.jpg").read_bytes() == images[0].read_bytes()


def test_loader_reads_generated_layout_and_binarises(root):
    ds = ISIC2018(root, "train", size=None)
    img, mask = ds[0]
    assert img.shape[0] == 3
    assert mask.shape[0] == 1
    assert img.shape[1:] == mask.shape[1:] == (192, 256)
    assert img.dtype == mask.dtype == torch.float32
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    raw = np.asarray(Image.open(ds.paths(0)[1]))
    np.testing.assert_array_equal(mask[0].numpy(), (raw > 127).astype(np.float32))


def test_split_file_is_written_once_and_reused(root):
    splits = {s: ISIC2018(root, s, size=(64, 64)).ids for s in ("train", "val", "test")}
    assert sum(len(v) for v in splits.values()) == 12
    assert not set(splits["train"]) & set(splits["val"])
    saved = json.loads((root / "longrange_split.json").read_text())
    assert saved["val"] == splits["val"]
    assert ISIC2018(root, "val", seed=99).ids == splits["val"]  # reused, not redrawn


def test_augmentation_keeps_image_and_mask_aligned(root):
    """The lesion is darker than the skin: under joint flips/crops the mask must still cover
    the dark pixels."""
    torch.manual_seed(0)
    ds = ISIC2018(root, "train", size=(96, 128), augment=True)
    plain = ISIC2018(root, "train", size=(96, 128))
    for i in range(4):
        img, mask = ds[i]
        brightness = img.mean(0)
        inside, outside = brightness[mask[0] > 0], brightness[mask[0] == 0]
        assert inside.mean() < outside.mean() - 0.15
        assert mask.shape[1:] == img.shape[1:] == (96, 128)
    _, m0 = plain[0]
    torch.manual_seed(1)
    flipped = [ds[0][1] for _ in range(6)]
    assert any(not torch.equal(f, m0) for f in flipped)  # augmentation does change the pair


def test_errors(root, tmp_path):
    with pytest.raises(MissingDataError, match=INPUT_DIR):
        ISIC2018(tmp_path)
    broken = write_synthetic_isic(tmp_path / "b", num_images=2, seed=3)
    ds = ISIC2018(broken, "train", size=None, fractions=(1.0, 0.0, 0.0))
    img_path, _mask_path = ds.paths(0)
    img_path.write_bytes(b"not a jpeg")
    with pytest.raises(CorruptDataError, match=r"\.jpg: cannot be read as an RGB ISIC image"):
        ds[0]
    _, mask1 = ds.paths(1)
    mask1.unlink()
    with pytest.raises(MissingDataError, match=r"_segmentation\.png: not found"):
        ds[1]
    with pytest.raises(ValueError, match="split should be one of"):
        ISIC2018(root, "dev")
