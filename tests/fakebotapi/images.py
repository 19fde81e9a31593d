"""Checks that an uploaded photo is a real picture (PNG, JPEG, GIF, WebP), as Telegram does."""

from __future__ import annotations

import struct
import zlib

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDES_SUM = 10_000
MAX_RATIO = 20


def _png(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    length = struct.unpack(">I", data[8:12])[0]
    chunk = data[12:16 + length]
    crc = struct.unpack(">I", data[16 + length:20 + length])[0]
    if length != 13 or zlib.crc32(chunk) != crc or b"IEND" not in data[-12:]:
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    return None


def _gif(data: bytes) -> tuple[int, int] | None:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 10:
        return None
    return struct.unpack("<HH", data[6:10])


def _webp(data: bytes) -> tuple[int, int] | None:
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    if data[12:16] == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if data[12:16] == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF or WebP image, or None if the bytes are none of them."""
    for reader in (_png, _jpeg, _gif, _webp):
        size = reader(data)
        if size is not None:
            return size
    return None


def photo_problem(data: bytes) -> str | None:
    """Why Telegram would refuse these bytes as a photo, or None if it would take them."""
    if len(data) > MAX_PHOTO_BYTES:
        return "Bad Request: PHOTO_SAVE_FILE_INVALID"
    size = image_size(data)
    if size is None or 0 in size:
        return "Bad Request: IMAGE_PROCESS_FAILED"
    width, height = size
    if width + height > MAX_SIDES_SUM or max(width, height) > MAX_RATIO * min(width, height):
        return "Bad Request: PHOTO_INVALID_DIMENSIONS"
    return None
