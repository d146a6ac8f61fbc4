"""What a new version of a document changes: the differing passages of two cleaned texts.

Shown to an official before a replacement is confirmed (the app's confirmation, the CLI's
`--replace`), so that a forged copy that changes "32" into "1" is seen as exactly that.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .errors import IngestError

CONTEXT_WORDS = 8  # words kept either side of a change


@dataclass(frozen=True)
class TextChange:
    before: str  # "" for an insertion
    after: str  # "" for a deletion


@dataclass(frozen=True)
class ChangeSummary:
    changes: tuple[TextChange, ...]  # the first `limit` changed passages
    total: int  # how many passages differ in all
    old_chars: int
    new_chars: int


def describe_changes(old: str, new: str, limit: int = 5) -> ChangeSummary:
    """The passages where `new` differs from `old`, word by word, with a little context."""
    a, b = old.split(), new.split()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(CONTEXT_WORDS))
    changes = []
    for group in groups[:limit]:
        i1, i2 = group[0][1], group[-1][2]
        j1, j2 = group[0][3], group[-1][4]
        before = _clip(a[i1:i2], i1 > 0, i2 < len(a))
        after = _clip(b[j1:j2], j1 > 0, j2 < len(b))
        changes.append(TextChange(before if i2 > i1 else "", after if j2 > j1 else ""))
    return ChangeSummary(tuple(changes), len(groups), len(old), len(new))


def _clip(words: list[str], cut_left: bool, cut_right: bool, max_words: int = 60) -> str:
    if len(words) > max_words:
        half = max_words // 2
        words = words[:half] + ["…"] + words[-half:]
    return ("… " if cut_left else "") + " ".join(words) + (" …" if cut_right else "")


class ReplaceNotConfirmed(IngestError):
    """A file would replace the indexed text of a document (same doc_id, other content) and the
    replacement was not confirmed. Nothing was written."""

    def __init__(self, path, doc_id: str, label: str, summary: ChangeSummary):
        self.doc_id, self.label, self.summary = doc_id, label, summary
        super().__init__(
            path,
            f"would replace the indexed text of {doc_id} ({summary.total} changed passages); "
            "confirm the replacement (python -m ingest --replace)",
            f"tệp này sẽ thay nội dung của {label} đang có trong kho ({summary.total} chỗ khác); "
            "cần xác nhận thay thế",
        )
