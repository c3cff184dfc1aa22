"""The directory: one YAML file describes the organisation (see the README); it is parsed
and checked as a whole (`file`), then loaded idempotently (`loader`)."""

from bot.core.directory.file import DirectoryError, DirectoryFile, parse_directory, read_directory
from bot.core.directory.loader import LoadReport, load_directory

__all__ = [
    "DirectoryError",
    "DirectoryFile",
    "LoadReport",
    "load_directory",
    "parse_directory",
    "read_directory",
]
