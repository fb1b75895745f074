"""A tiny HTTP server on loopback serving a disk image and its checksum.

Ironic's fake deploy never downloads the image, but deployments need an image_source and
image_checksum; tests get both from `localcloud env` (LOCALCLOUD_IMAGE_URL/CHECKSUM).
"""

from __future__ import annotations

import hashlib
import os
import sys

from .config import open_private, private_dir, write_if_changed
from .service import Service

IMAGE_NAME = 'disk.img'
IMAGE_SIZE = 1024 * 1024


def make_image(folder, size: int = IMAGE_SIZE) -> str:
    """Create folder/disk.img (random bytes) with its checksum files once; returns sha256."""
    private_dir(folder)
    image = folder / IMAGE_NAME
    sums = folder / (IMAGE_NAME + '.sha256')
    if image.exists() and sums.exists():
        return sums.read_text().split()[0]
    data = os.urandom(size)
    with os.fdopen(open_private(image, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 'wb') as out:
        out.write(data)
    digest = hashlib.sha256(data).hexdigest()
    line = f'{digest}  {IMAGE_NAME}\n'
    write_if_changed(folder / 'SHA256SUMS', line)
    write_if_changed(sums, line)
    return digest


class ImageServer(Service):
    name = 'images'
    ready_path = '/' + IMAGE_NAME + '.sha256'
    ready_codes = (200,)

    def prepare(self) -> None:
        make_image(self.settings.images)

    def command(self) -> list:
        return [sys.executable, '-m', 'http.server', str(self.port), '--bind', '127.0.0.1',
                '--directory', str(self.settings.images)]

    @property
    def image_url(self) -> str:
        return f'{self.url}/{IMAGE_NAME}'

    @property
    def checksum(self) -> str:
        return make_image(self.settings.images)

    def facts(self) -> dict:
        return dict(super().facts(), image_url=self.image_url,
                    checksum=self.checksum, checksum_type='sha256',
                    checksum_url=self.image_url + '.sha256', size=IMAGE_SIZE)
