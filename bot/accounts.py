"""Officials' accounts: who may upload, replace and remove documents in the web app.

Accounts come from a file (`VNQA_ADMIN_FILE`, one `name:hash` per line, `#` comments) and/or
the environment (`VNQA_ADMINS="name:hash;name2:hash2"`). Only password hashes are ever stored:
PBKDF2-HMAC-SHA256 in the form `pbkdf2_sha256$<iterations>$<salt>$<hash>` (base64), made by
`python -m bot admin add NAME` (or `hash_password`). With no account there is no admin app and
the CLI (`python -m ingest`) manages the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import VnqaError

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class AccountError(VnqaError):
    """A malformed account file or entry."""

    user_message = "Tệp tài khoản quản trị không hợp lệ."


@dataclass(frozen=True)
class Accounts:
    """Name -> password hash. Falsy when no account is configured."""

    hashes: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.hashes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.hashes)

    def check(self, name: str, password: str) -> bool:
        """True when `password` matches `name`'s hash (constant time for a known name)."""
        stored = dict(self.hashes).get(name or "")
        if stored is None:
            verify_password(password or "", _DUMMY)  # same cost for unknown names
            return False
        return verify_password(password or "", stored)


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    if not password:
        raise AccountError("empty password", "Mật khẩu không được để trống.")
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


def parse_entries(text: str, origin: str) -> list[tuple[str, str]]:
    """`name:hash` entries, one per line or separated by ';'. Raises AccountError naming `origin`."""
    out = []
    for i, raw in enumerate(re.split(r"[\n;]", text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        name, stored = name.strip(), stored.strip()
        if not sep or not _NAME.match(name) or not stored.startswith(ALGORITHM + "$") or stored.count("$") != 3:
            raise AccountError(f"{origin}: entry {i} is not 'name:{ALGORITHM}$...' (make one with "
                               f"`python -m bot admin add NAME`)",
                               f"{origin}: mục {i} không đúng dạng 'tên:{ALGORITHM}$...'.")
        out.append((name, stored))
    return out


def load_accounts(admin_file: Path | None, env_value: str = "") -> Accounts:
    """The accounts of the file (if it exists) and of the env value; later entries win."""
    entries: list[tuple[str, str]] = []
    if admin_file and Path(admin_file).is_file():
        entries += parse_entries(Path(admin_file).read_text(encoding="utf-8"), str(admin_file))
    if env_value.strip():
        entries += parse_entries(env_value, "VNQA_ADMINS")
    return Accounts(tuple(dict(entries).items()))


def save_account(admin_file: Path, name: str, password: str) -> None:
    """Add or replace `name` in the file (created with mode 600)."""
    if not _NAME.match(name or ""):
        raise AccountError(f"bad account name {name!r} (letters, digits, . _ @ -)",
                           "Tên tài khoản chỉ gồm chữ, số và . _ @ -")
    path = Path(admin_file)
    entries = dict(parse_entries(path.read_text(encoding="utf-8"), str(path))) if path.is_file() else {}
    entries[name] = hash_password(password)
    _write(path, entries)


def remove_account(admin_file: Path, name: str) -> bool:
    path = Path(admin_file)
    entries = dict(parse_entries(path.read_text(encoding="utf-8"), str(path))) if path.is_file() else {}
    if entries.pop(name, None) is None:
        return False
    _write(path, entries)
    return True


def _write(path: Path, entries: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# officials' accounts of the web app: name:hash (python -m bot admin add NAME)\n")
        fh.writelines(f"{n}:{h}\n" for n, h in entries.items())
    os.replace(tmp, path)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


_DUMMY = f"{ALGORITHM}${ITERATIONS}${_b64(b'0' * 16)}${_b64(b'0' * 32)}"
