"""The local SMTP sink (scripts/smtp_sink.py): a Maildir in a folder that exists and is empty,
as a volume mounted there (the local overlay's SMTP sink), takes mail as a new folder does."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.smtp_sink import RawMaildir  # noqa: E402


def test_an_empty_mounted_folder_becomes_a_maildir_and_files_each_message(
        tmp_path: Path) -> None:
    for folder in (tmp_path / "mounted", tmp_path / "missing"):
        if folder.name == "mounted":
            folder.mkdir()  # what a volume mount leaves: the folder, empty
        sink = RawMaildir(str(folder))
        message = b"To: a@b.it\r\nSubject: hi\r\n\r\nbody\r\n"
        answer = asyncio.run(sink.handle_DATA(None, None,
                                              SimpleNamespace(original_content=message)))
        assert answer == "250 OK"
        (filed,) = (folder / "new").iterdir()
        assert filed.read_bytes() == message
        assert not list((folder / "tmp").iterdir()) and (folder / "cur").is_dir()
