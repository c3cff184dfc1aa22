"""Files Telegram keeps: what bots upload and users send, with the ids and download paths
getFile hands out. Also a tiny PNG maker for tests that send photos."""

import itertools
import mimetypes
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bot.fake_telegram.errors import bad_request
from bot.fake_telegram.objects import Json, without_none
from bot.fake_telegram.requests import UploadedFile

FILE_KINDS = {
    "photo": ("AgAC", ".jpg"),
    "document": ("BQAC", ""),
    "sticker": ("CAAC", ".webp"),
    "voice": ("AwAC", ".oga"),
    "video": ("BAAC", ".mp4"),
    "video_note": ("DQAC", ".mp4"),
    "audio": ("CQAC", ".mp3"),
}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 <= len(data) and data[index] == 0xFF:
        marker = data[index + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + int.from_bytes(data[index + 2 : index + 4], "big")
    return None


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """A valid white PNG, for tests that send photos."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    rows = b"".join(b"\x00" + b"\xff" * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class StoredFile:
    """A file Telegram keeps: what getFile describes and the download route serves."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def as_photo(self) -> list[Json]:
        width, height = image_size(self.data) or (0, 0)
        # One size only: the fake makes no thumbnails.
        return [{**self._ids(), "width": width, "height": height, "file_size": len(self.data)}]

    def as_document(self) -> Json:
        return without_none(
            {
                **self._ids(),
                "file_name": self.file_name,
                "mime_type": self.mime_type,
                "file_size": len(self.data),
            }
        )

    def as_media(self, kind: str, duration: int) -> Json:
        """A voice message, video, round video message or audio file, as Telegram describes
        it to the bot (the fake makes no thumbnails and reads no media headers)."""
        described: Json = {**self._ids(), "duration": duration, "file_size": len(self.data)}
        if kind == "video":
            described |= {"width": 640, "height": 480}
        if kind == "video_note":
            described["length"] = 240
        elif kind != "voice":
            described |= without_none({"file_name": self.file_name})
        if kind != "video_note":
            described |= without_none({"mime_type": self.mime_type})
        return described

    def as_sticker(self, emoji: str) -> Json:
        return {
            **self._ids(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }

    def _ids(self) -> Json:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id}


class FileStore:
    """Every file Telegram keeps, by file_id and by the path the download route serves."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def store(
        self, kind: str, data: bytes, file_name: str | None, content_type: str | None
    ) -> StoredFile:
        number = next(self._numbers)
        prefix, suffix = FILE_KINDS[kind]
        suffix = suffix or PurePosixPath(file_name or "").suffix
        mime_type = mimetypes.guess_type(file_name or "")[0] or content_type
        stored = StoredFile(
            file_id=f"{prefix}fake{number:06d}",
            file_unique_id=f"AQADfake{number:06d}",
            file_path=f"{kind}s/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def input_file(self, value: UploadedFile | str, kind: str) -> StoredFile:
        """An uploaded file (stored now), or one Telegram already has, named by its file_id."""
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            return self.store(kind, value.data, value.filename, value.content_type)
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # the fake fetches nothing
        stored = self.by_id.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored
