"""The QA dataset (eval/data/qa.jsonl, see its README) and its deterministic stratified slice."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_DATASET = Path(__file__).resolve().parent / "data" / "qa.jsonl"


def load_dataset(path: str | Path = DEFAULT_DATASET) -> list[dict]:
    """One dict per non-empty line, in file order."""
    items = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: invalid JSON ({e})") from e
            item.setdefault("category", "uncategorised")
            item.setdefault("answerable", bool(item.get("evidence")))
            item.setdefault("evidence", [])
            item.setdefault("answer_keys", [])
            item.setdefault("id", f"line{lineno}")
            items.append(item)
    return items


def stratified(items: list[dict], limit: int | None) -> list[dict]:
    """The first `limit` questions taken round-robin across categories (categories in order of
    first appearance, questions in file order), returned in file order. None/0 = all."""
    if not limit or limit >= len(items):
        return list(items)
    queues: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        queues.setdefault(item["category"], []).append(i)
    chosen: list[int] = []
    depth = 0
    while len(chosen) < limit:
        for queue in queues.values():
            if depth < len(queue) and len(chosen) < limit:
                chosen.append(queue[depth])
        depth += 1
    return [items[i] for i in sorted(chosen)]


def categories(items: list[dict]) -> list[str]:
    """Categories in order of first appearance."""
    return list(dict.fromkeys(item["category"] for item in items))
