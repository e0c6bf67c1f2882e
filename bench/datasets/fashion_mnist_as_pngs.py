"""Writes Debian's Fashion-MNIST (IDX files) out as an image folder of PNGs,
train/<class>/*.png and test/<class>/*.png, to measure `distill data add` on a
60,000-image folder the way a user's own data arrives. Reference only: standard
library, no dependency of the product.

    python3 bench/datasets/fashion_mnist_as_pngs.py /tmp/fmnist-png
"""

import gzip
import struct
import sys
import zlib
from pathlib import Path

SOURCE = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def idx(name):
    data = gzip.open(SOURCE / f"{name}.gz").read()
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png(width, height, grey):
    rows = b"".join(b"\x00" + grey[y * width:(y + 1) * width] for y in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main(out):
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        (count, height, width), pixels = idx(f"{prefix}-images-idx3-ubyte")
        _, labels = idx(f"{prefix}-labels-idx1-ubyte")
        for name in CLASSES:
            (out / split / name).mkdir(parents=True, exist_ok=True)
        size = height * width
        for i in range(count):
            image = pixels[i * size:(i + 1) * size]
            path = out / split / CLASSES[labels[i]] / f"{i:05d}.png"
            path.write_bytes(png(width, height, image))
        print(f"{split}: {count} images")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
