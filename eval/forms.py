"""`python -m eval forms`: every published form of a document read as text (issue 13's figures).

  - read:   each file of ../shared/corpus/real through the ingest pipeline: how it was read
            (OCR, legacy encoding), the share of valid Vietnamese syllables of the indexed text,
            chunks, seconds;
  - ocr:    the scan of Nghị định 335/2025, and a noisy scan made from its text-layer twin
            (eval/scans.py), each read with the page cleaning on and off, against the twin, all
            through the same pipeline and the evaluation's normalisation (`ingest.text.syllables`: NFC, one tone
            placement, lowercase, punctuation dropped): character and word error rate, seconds
            per page; then the twin's questions of the real QA set answered over the scan and
            over the twin (retrieval R@5 and answers, default beside the plain baseline; evidence
            matched exactly, so an OCR error in a quote counts as a miss);
  - legacy: TCVN3 and VNI round trips of Unicode texts (eval/legacy.py);
  - doc:    the .doc converters (LibreOffice, antiword) on the corpus's .doc files.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings

from .report import table, write_json

SCAN, TWIN = "cp_nd_335_2025_danhgia_scan.pdf", "cp_nd_335_2025_danhgia_text.pdf"
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "real"
PARTS = ("read", "ocr", "legacy", "doc")


def error_rates(hypothesis: str, reference: str) -> dict:
    """CER and WER of `hypothesis` against `reference` after the evaluation's normalisation."""
    from rapidfuzz.distance import Levenshtein

    from ingest.text import fold, syllables

    hyp, ref = syllables(hypothesis), syllables(reference)
    h, r = " ".join(hyp), " ".join(ref)
    folded = " ".join(map(fold, hyp)), " ".join(map(fold, ref))
    return {"cer": round(Levenshtein.distance(h, r) / max(len(r), 1), 4),
            "wer": round(Levenshtein.distance(hyp, ref) / max(len(ref), 1), 4),
            "cer_without_diacritics": round(Levenshtein.distance(*folded) / max(len(folded[1]), 1), 4),
            "reference_chars": len(r)}


def run_forms(settings: Settings, out: Path, corpus: Path = CORPUS, parts=PARTS,
              store_dir: Path | None = None, progress: bool = True) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"corpus": str(corpus)}
    if "read" in parts:
        report["read"] = read_all(corpus, settings)
    if "ocr" in parts:
        report["ocr"] = ocr_figures(corpus, settings, out, store_dir, progress)
    if "legacy" in parts:
        from .legacy import ENCODERS, roundtrip

        texts = {p.name: p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "data").glob("*.txt"))}
        texts.update({name: (corpus / name).read_text(encoding="utf-8") for name in LEGACY_SAMPLES})
        report["legacy"] = [{"text": name, **roundtrip(text, enc)} for name, text in texts.items()
                            for enc in ENCODERS]
    if "doc" in parts:
        report["doc"] = doc_converters(corpus)
    write_json(out / "forms.json", report)
    (out / "forms.md").write_text(forms_markdown(report), encoding="utf-8")
    return report


LEGACY_SAMPLES = ("hue_nq_33_2025_hdnd_phanbo_von_giamngheo.md", "daklak_ct_ubnd_10_2025_thutuc_dautu.md")


def read_all(corpus: Path, settings: Settings) -> list[dict]:
    from ingest.errors import IngestError
    from ingest.pipeline import find_files, process_file
    from ingest.text import syllable_share

    rows = []
    for path in find_files([corpus]):
        if path.name == "SOURCES.md":
            continue
        started = time.perf_counter()
        try:
            doc = process_file(path, settings)
        except IngestError as e:
            rows.append({"file": path.name, "error": str(e)})
            continue
        rows.append({"file": path.name, "format": doc.clean.format, "reading": doc.meta.reading,
                     "share": round(syllable_share(doc.clean.text, sample=10**7), 4),
                     "chunks": len(doc.chunks), "number": doc.meta.number,
                     "seconds": round(time.perf_counter() - started, 2)})
    return rows


def ocr_figures(corpus: Path, settings: Settings, out: Path, store_dir: Path | None, progress: bool) -> dict:
    """The published scan and a noisy scan made from the twin (eval/scans.py: pages turned 1-2
    degrees, specks, blur, JPEG), each read with the page cleaning on and off, against the twin's
    text; then the twin's questions answered over the scan, the noisy scan and the twin."""
    from dataclasses import replace

    from .scans import noisy_pdf

    noisy = noisy_pdf(corpus / TWIN, out / "noisy" / TWIN.replace("_text.pdf", "_noisy.pdf"))
    settings = replace(settings, max_file_mb=max(settings.max_file_mb, 64))  # grain makes JPEGs big (28 MB)
    twin = _read(corpus / TWIN, settings)["doc"]
    figures = {"noisy_file": noisy.name}
    for label, path in (("scan", corpus / SCAN), ("noisy", noisy)):
        for clean in (True, False):
            got = _read(path, replace(settings, ocr_clean=clean))
            doc = got.pop("doc")
            key = label if clean else f"{label}-raw"
            figures[key] = {**got, **error_rates(doc.clean.text, twin.clean.text),
                            "meta": {k: [getattr(doc.meta, k), getattr(twin.meta, k)]
                                     for k in ("number", "type", "issuer", "issued", "place", "signer", "title")}}
    from .real import REAL_DATA, split_items
    from .run import RunConfig, run_qa

    items = tuple(q for q in split_items("all") if q["docs"] == [TWIN])
    figures["qa"] = {"n": len(items)}
    for label, path in (("scan", corpus / SCAN), ("noisy", noisy), ("text", corpus / TWIN)):
        where = store_dir / label if store_dir else None
        qa = run_qa(RunConfig(dataset=REAL_DATA / "qa.jsonl", out=out / f"qa-{label}", llm_limit=None,
                              systems=("default", "plain"), store_dir=where, progress=progress,
                              corpus=(path,), items=items), settings)
        figures["qa"][label] = {name: {k: m.get(k) for k in ("accuracy", "recall@5", "refusal_recall",
                                                             "false_refusal_rate")}
                                for name, m in qa["systems"].items()}
    return figures


def _read(path: Path, settings: Settings) -> dict:
    import pypdfium2 as pdfium

    from ingest.pipeline import process_file

    pages = len(pdfium.PdfDocument(str(path)))
    started = time.perf_counter()
    doc = process_file(path, settings)
    seconds = time.perf_counter() - started
    return {"doc": doc, "pages": pages, "seconds": round(seconds, 1), "seconds_per_page": round(seconds / pages, 2)}


def doc_converters(corpus: Path) -> list[dict]:
    """Both converters on each .doc file: characters, valid syllables after legacy conversion,
    tables kept, seconds."""
    from ingest import word97
    from ingest.legacy import repair
    from ingest.text import syllable_share

    rows = []
    for path in sorted(corpus.glob("*.doc")):
        data = path.read_bytes()
        for name, exe in (("libreoffice", shutil.which("soffice")), ("antiword", shutil.which("antiword"))):
            if not exe:
                rows.append({"file": path.name, "converter": name, "error": "not installed"})
                continue
            started = time.perf_counter()
            if name == "libreoffice":
                from ingest.office import docx_text

                text, tables = docx_text(word97._to_docx(exe, data, path), path, 10**9)
            else:
                text, tables = word97._antiword(exe, data, path), ()
            seconds = time.perf_counter() - started
            fixed = repair(text)
            rows.append({"file": path.name, "converter": name, "chars": len(text), "encoding": fixed.encoding,
                         "share": round(syllable_share(fixed.text, sample=10**7), 4), "tables": len(tables),
                         "seconds": round(seconds, 2)})
    return rows


def forms_markdown(r: dict) -> str:
    out = ["# Every published form read as text (`python -m eval forms`)", ""]
    if "read" in r:
        good = sum(1 for x in r["read"] if "error" not in x and x["share"] >= 0.95)
        rows = [[f"`{x['file']}`", f"failed: {x['error'][:120]}", "", "", "", "", ""] if "error" in x else
                [f"`{x['file']}`", x["format"], x["reading"] or "text", x["share"], x["chunks"], x["number"] or "—",
                 str(x["seconds"])] for x in r["read"]]
        out += [f"## Files of the corpus: {good} of {len(r['read'])} read with at least 95% valid syllables", "",
                table(["file", "format", "read by", "valid syllables", "chunks", "number", "s"], rows), ""]
    if "ocr" in r:
        o = r["ocr"]
        keys = ("accuracy", "recall@5", "refusal_recall", "false_refusal_rate")
        rows = [[label, name, *(m[k] for k in keys)]
                for label in ("scan", "noisy", "text") for name, m in o["qa"][label].items()]
        read = [[name, "on" if not name.endswith("-raw") else "off", f"{x['cer']:.2%}", f"{x['wer']:.2%}",
                 f"{x['cer_without_diacritics']:.2%}", x["pages"], x["seconds_per_page"],
                 *(x["meta"][k][0] == x["meta"][k][1] for k in ("number", "issuer", "issued"))]
                for name, x in o.items() if isinstance(x, dict) and "cer" in x]
        out += [f"## OCR: `{SCAN}` and a noisy scan made from `{TWIN}` (`{o['noisy_file']}`), against `{TWIN}`",
                "", table(["copy", "page cleaning", "CER", "WER", "CER without diacritics", "pages", "s / page",
                           "number right", "issuer right", "date right"], read), "",
                f"Questions about the decree ({o['qa']['n']}), answered over each copy alone:", "",
                table(["copy", "system", "accuracy", "R@5", "correct refusals", "false refusals"], rows), ""]
    if "legacy" in r:
        rows = [[x["text"], x["encoding"], x["detected"], str(x["words"]), f"{x['word_accuracy']:.4f}",
                 f"{x['word_accuracy_nocase']:.4f}"] for x in r["legacy"]]
        out += ["## Legacy encodings: Unicode text encoded by the project's own tables, read back", "",
                table(["text", "encoding", "detected", "words", "word accuracy", "ignoring case"], rows), ""]
    if "doc" in r:
        rows = [[f"`{x['file']}`", x["converter"], x["error"], "", "", "", ""] if "error" in x else
                [f"`{x['file']}`", x["converter"], str(x["chars"]), x["encoding"] or "—", x["share"],
                 str(x["tables"]), str(x["seconds"])] for x in r["doc"]]
        out += ["## .doc converters", "",
                table(["file", "converter", "chars", "encoding", "valid syllables", "tables", "s"], rows), ""]
    return "\n".join(out)
