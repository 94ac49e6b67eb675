"""`make run` (scripts/run.py): development mode with secrets of the data dir's own."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.run import DEV_SECRETS, dev_secrets  # noqa: E402


def test_dev_secrets_are_random_per_data_dir_and_kept(tmp_path: Path) -> None:
    first = dev_secrets(tmp_path / "a")
    assert set(first) == set(DEV_SECRETS)
    assert all(len(value) >= 32 for value in first.values())
    assert dev_secrets(tmp_path / "a") == first  # a restart keeps sessions signed in
    assert dev_secrets(tmp_path / "b") != first  # never a built-in value
    kept = tmp_path / "a" / "dev-secrets.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
