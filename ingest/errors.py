"""The project's error hierarchy.

Every error says what was expected and what was found. They are converted to a CLI exit code or a
`gr.Error` only at the edge (the `__main__` modules and `bot/web.py`). `user_message` is the
Vietnamese text shown to end users; `str(error)` is the English text for logs and stderr.
"""

from __future__ import annotations

from pathlib import Path


def human_size(n: int, vi: bool = False) -> str:
    """'25.3 MB' / '900 KB' / '12 B'; Vietnamese uses a decimal comma ('25,3 MB')."""
    mb = 1024 * 1024
    value, unit = (n / mb, "MB") if n >= mb // 10 else (n / 1024, "KB") if n >= 1024 else (n, "B")
    s = f"{value:.2f}".rstrip("0").rstrip(".") + " " + unit
    return s.replace(".", ",") if vi else s


class VnqaError(Exception):
    """Base class of every error this project raises on purpose."""

    user_message: str = "Đã xảy ra lỗi."

    def __init__(self, message: str, user_message: str | None = None):
        super().__init__(message)
        if user_message is not None:
            self.user_message = user_message


class IngestError(VnqaError):
    """A file could not be turned into a document. Always names the file."""

    def __init__(self, path: str | Path, reason: str, user_reason: str | None = None):
        self.path = str(path)
        self.reason = reason
        name = Path(self.path).name
        super().__init__(f"{self.path}: {reason}", f"{name}: {user_reason or reason}")


class UnsupportedFormat(IngestError):
    pass


class EmptyDocument(IngestError):
    pass


class DecodeFailure(IngestError):
    pass


class NeedsOCR(IngestError):
    pass


class FileTooLarge(IngestError):
    pass


class CorruptFile(IngestError):
    pass


class DuplicateDocument(IngestError):
    """The same content is already indexed under another file name."""

    def __init__(self, path: str | Path, doc_id: str, existing_source: str):
        self.doc_id = doc_id
        self.existing_source = existing_source
        super().__init__(
            path,
            f"duplicate of document {doc_id} already indexed from {existing_source}",
            f"trùng nội dung với văn bản {doc_id} đã có (tệp {Path(existing_source).name})",
        )


class StoreError(VnqaError):
    """The store folder is unusable (wrong layout, other embedding model, locked ...)."""

    user_message = "Kho dữ liệu không dùng được."


class DocumentNotFound(StoreError):
    def __init__(self, doc_id: str):
        self.doc_id = doc_id
        super().__init__(f"no document with doc_id {doc_id!r} in the store",
                         f"Không có văn bản {doc_id} trong kho.")


class QueryError(VnqaError):
    """A question that cannot be processed (empty, too long, not text)."""


class LLMError(VnqaError):
    """The configured LLM endpoint failed or answered nonsense."""

    user_message = "Máy chủ mô hình ngôn ngữ không phản hồi; đã dùng câu trả lời trích dẫn."
