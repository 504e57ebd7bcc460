"""A tiny PNG reader for the tests: the signature, the header's size, the closing chunk."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a well-formed PNG (assertions fail on anything else)."""
    assert data[:8] == SIGNATURE, data[:8]
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    header = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(kind + header) == crc  # the header chunk is intact
    width, height, depth, _color, _, _, _ = struct.unpack(">IIBBBBB", header)
    assert depth == 8
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"  # and the file is complete
    return width, height
