# Fashion-MNIST for the PyTorch benchmark reference: reads the gzip IDX files with numpy and
# normalises batches exactly as the engine does (engine/src/data/{idx,images,batches}.rs), so
# the PyTorch side trains on the same numbers as `distill`. Never a product dependency.

import gzip
import os
from dataclasses import dataclass

import numpy as np
import torch

# The engine's own search order ends at Debian's dataset-fashion-mnist location
# (engine/src/data/locate.rs); DISTILL_DATA_DIR and --data-dir come first, as there.
DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
CLASSES = 10


def _read_idx(path, expected_dims):
    """An unsigned-byte IDX file (raw or gzip) as a numpy array of its announced shape."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != expected_dims:
        raise ValueError(f"{path}: not an unsigned-byte IDX file of {expected_dims} dimensions")
    shape = tuple(int.from_bytes(raw[4 + 4 * d : 8 + 4 * d], "big") for d in range(expected_dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * expected_dims)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header announces {shape} but the file holds {data.size} bytes")
    return data.reshape(shape)


def _candidates(data_dir):
    # Mirrors locate.rs's order: an explicit or environment directory (the dataset's own folder
    # or its parent) first,
    dirs = []
    for base in (data_dir, os.environ.get("DISTILL_DATA_DIR")):
        if base:
            dirs += [os.path.join(base, "fashion-mnist"), base]
    # then the user data dir, where `distill data fetch` puts it.
    xdg = os.environ.get("XDG_DATA_HOME")
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".local/share")
    dirs.append(os.path.join(base, "distill-lab/datasets/fashion-mnist"))
    dirs.append(DEFAULT_DIR)
    return dirs


def locate(data_dir=None):
    """The first directory holding all four files (each `.gz` or raw), or None."""
    for d in _candidates(data_dir):
        if all(
            os.path.exists(os.path.join(d, n + ".gz")) or os.path.exists(os.path.join(d, n))
            for n in FILES.values()
        ):
            return d
    return None


@dataclass
class ImageSet:
    """Raw u8 pixels [n, 1, 28, 28] and int64 labels [n], kept as u8 as the engine keeps them."""

    pixels: torch.Tensor
    labels: torch.Tensor

    def __len__(self):
        return self.labels.shape[0]

    def truncate(self, n):
        """The first `n` images (all when `n` is None or larger), like ImageSet::truncate."""
        if n is None or n >= len(self):
            return self
        return ImageSet(self.pixels[:n], self.labels[:n])


def load(data_dir=None):
    """(train, test) ImageSets of Fashion-MNIST."""
    d = locate(data_dir)
    if d is None:
        raise FileNotFoundError(
            "Fashion-MNIST not found in " + ", ".join(_candidates(data_dir))
            + " (Debian: apt-get install dataset-fashion-mnist)"
        )

    def path(key):
        p = os.path.join(d, FILES[key])
        return p + ".gz" if os.path.exists(p + ".gz") else p

    sets = []
    for split in ("train", "test"):
        images = _read_idx(path(f"{split}_images"), 3)
        labels = _read_idx(path(f"{split}_labels"), 1)
        if labels.shape[0] != images.shape[0]:
            raise ValueError(f"{split}: {labels.shape[0]} labels for {images.shape[0]} images")
        sets.append(
            ImageSet(
                torch.from_numpy(images.copy()).unsqueeze(1),  # [n, 1, 28, 28] u8
                torch.from_numpy(labels.astype(np.int64)),
            )
        )
    return sets[0], sets[1]


class Batcher:
    """Per-channel normalisation fitted to a training set (Batcher::fitted_to)."""

    def __init__(self, train):
        # images.rs computes mean and population variance in f64 on the [0, 1] scale, then
        # keeps them as f32; the same here, on the same pixels.
        v = train.pixels.to(torch.float64) / 255.0
        mean = v.mean(dim=(0, 2, 3))
        var = (v.square().mean(dim=(0, 2, 3)) - mean.square()).clamp_min(1e-12)
        self.mean = mean.to(torch.float32).view(1, -1, 1, 1)
        self.std = var.sqrt().to(torch.float32).view(1, -1, 1, 1)

    def batch(self, s, indices):
        """Normalised images [b, 1, 28, 28] f32 and labels [b] of `indices`, built from the u8
        pixels at every call as the engine's batcher does (no pre-normalised copy)."""
        images = (s.pixels[indices].to(torch.float32) / 255.0 - self.mean) / self.std
        return images, s.labels[indices]


def random_sets(train=6000, test=1000, seed=0):
    """Random u8 images with random labels, for benchmarking where Fashion-MNIST is missing:
    shapes matter to a benchmark, not content (distill bench's own default is its procedural
    synthetic set, which this does not reproduce)."""
    g = torch.Generator().manual_seed(seed)

    def make(n):
        return ImageSet(
            torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g),
            torch.randint(0, CLASSES, (n,), dtype=torch.int64, generator=g),
        )

    return make(train), make(test)
