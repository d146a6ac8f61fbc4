"""End to end in headless Debian Chromium (Playwright): ask, read the sources; an official logs in
at /admin and uploads.

Screenshots go to tests/artifacts/ (desktop and phone width). Every request the page makes must
stay on this machine (127.0.0.1), and the chat text must use the shipped font, loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.app_server import AppServer, build_store, copy_store, write_accounts

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DTI = "Chỉ tiêu DTI năm 2026 là gì?"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
OFFICIAL, PASSWORD = "canbo", "mat-khau-trinh-duyet"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    folder = tmp_path_factory.mktemp("browser")
    store = copy_store(build_store(folder / "base"), folder / "store")
    write_accounts(store, **{OFFICIAL: PASSWORD})  # the official's app at /admin
    with AppServer(store) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900}, locale="vi-VN")
        context.set_default_timeout(30_000)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context, server):
    page = browser_context.new_page()
    page.external_requests = []  # type: ignore[attr-defined]

    def watch(request):
        url = urlparse(request.url)
        if url.scheme in ("data", "blob", "about", "chrome-extension"):
            return
        if url.hostname not in LOCAL_HOSTS:
            page.external_requests.append(request.url)  # type: ignore[attr-defined]

    page.on("request", watch)
    page.goto(server.url)
    page.locator("#question textarea").wait_for()
    yield page
    page.close()


def wait_text(page, selector: str, text: str, timeout: float = 30_000) -> None:
    """Wait until the element's rendered (visible) text contains `text`."""
    page.wait_for_function("([sel, text]) => (document.querySelector(sel)?.innerText || '').includes(text)",
                           arg=[selector, text], timeout=timeout)


def test_ask_read_sources_font_and_phone_width(page):
    box = page.locator("#question textarea")
    box.fill(DTI)
    box.press("Enter")
    page.locator("#chat").get_by_text("xếp thứ 32").first.wait_for()
    assert page.locator("#chat").get_by_text("xếp thứ 32").first.is_visible()
    source = page.locator("#chat details.source").first
    source.wait_for()
    assert "(11)" in source.locator("summary").inner_text()
    assert source.locator("summary").is_visible()
    page.wait_for_function("document.querySelector('#status').innerText.includes('Đã trả lời')")

    # Open the source: the quoted sentence is highlighted inside its section.
    source.locator("summary").click()
    mark = source.locator("mark").first
    mark.wait_for(state="visible")
    assert "xếp thứ 32" in mark.inner_text()
    assert source.get_attribute("open") is not None

    # The shipped font, loaded; nothing fetched from another host.
    family = page.evaluate("getComputedStyle(document.querySelector('#chat .message-wrap')).fontFamily")
    assert family.split(",")[0].strip().strip('"\'') == "Be Vietnam Pro"
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.evaluate("document.fonts.check('16px \"Be Vietnam Pro\"', 'Chỉ tiêu chuyển đổi số')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('Be Vietnam Pro') && f.status === 'loaded')")

    page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth") <= 392  # no sideways scrolling
    assert mark.is_visible() or mark.count() == 1
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)

    # Follow-up and refusal in the same conversation.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Giá vàng SJC hôm nay?").click()
    page.get_by_text("Các phần gần nhất").first.wait_for()
    assert page.locator("#chat details.source").count() >= 2
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    page.wait_for_function("document.querySelectorAll('#chat details.source').length === 0")

    assert page.external_requests == []  # type: ignore[attr-defined]


def test_the_interpretation_line_at_phone_and_desktop_width(page):
    """Issue 24: a real follow-up shows "Hiểu câu hỏi là" with whole words, unclipped at phone
    width; a question naming a document after it shows none."""
    box = page.locator("#question textarea")
    for question in (DTI, "Còn PAR Index thì sao?"):
        box.fill(question)
        box.press("Enter")
        page.wait_for_function("document.querySelector('#status').innerText.includes('Đã trả lời')")
        page.wait_for_function("([n]) => document.querySelectorAll('#chat details.source').length >= n",
                               arg=[1 if question == DTI else 2])
    line = page.locator("#chat .rewritten")
    line.first.wait_for()
    assert line.count() == 1 and line.first.inner_text() == f"Hiểu câu hỏi là: PAR Index — {DTI}"
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
        page.wait_for_timeout(300)
        clipped = page.evaluate("(() => { const e = document.querySelector('#chat .rewritten');"
                                " return e.scrollWidth > e.clientWidth + 1; })()")
        assert not clipped, width
    page.screenshot(path=str(ARTIFACTS / "followup-desktop.png"), full_page=True)
    box.fill("Nghị quyết 70/NQ-HĐND do ai ký?")
    box.press("Enter")
    page.locator("#chat").get_by_text("Bế Thanh Tịnh").first.wait_for()
    page.wait_for_function("document.querySelector('#status').innerText.includes('Đã trả lời')")
    assert line.count() == 1  # the self-contained question shows no interpretation


def test_official_logs_in_and_uploads_at_admin(page, server, tmp_path):
    """The public Văn bản tab only reads; an official logs in at /admin, uploads, and the
    documents table and the audit log name them."""
    doc = tmp_path / "nghi-quyet-12-nuoi-ong.txt"
    from tests.test_app import FAKE_DOC

    doc.write_text(FAKE_DOC, encoding="utf-8")
    page.get_by_role("tab", name="Văn bản").click()
    wait_text(page, "#docs-table", "70/NQ-HĐND")
    assert page.locator("#upload").count() == 0 and page.locator("#remove-btn").count() == 0
    wait_text(page, "#docs-note", "quản trị")

    page.goto(server.url + "admin/")
    page.locator("input[type=text]").first.fill(OFFICIAL)
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("input[type=password]").press("Enter")
    wait_text(page, "#whoami", OFFICIAL, timeout=60_000)
    wait_text(page, "#docs-table", "70/NQ-HĐND")
    page.locator("#upload input[type=file]").set_input_files(str(doc))
    page.locator("#upload").get_by_text(doc.name).first.wait_for()
    page.locator("#upload-btn").click()
    report = page.locator("#upload-report")
    report.get_by_text("Đã thêm").wait_for(timeout=90_000)  # generous: the machine may be loaded
    assert "12/NQ-HĐND" in report.inner_text()
    wait_text(page, "#docs-table", "12/NQ-HĐND")
    wait_text(page, "#audit-table", OFFICIAL)
    assert page.locator("#remove-confirm").is_hidden()  # removal asks first; nothing chosen yet
    page.screenshot(path=str(ARTIFACTS / "admin-desktop.png"), full_page=True)

    # Issue 24: the remove box starts empty; removing asks first, naming the number and title.
    remove_box = page.locator("#remove-doc input")
    assert remove_box.input_value() == ""
    page.locator("#remove-btn").click()
    assert page.locator("#remove-confirm").is_hidden()  # nothing chosen: nothing to confirm
    remove_box.click()
    page.get_by_role("option").filter(has_text="12/NQ-HĐND").first.click()
    page.locator("#remove-btn").click()
    wait_text(page, "#remove-confirm", "12/NQ-HĐND")
    question = page.evaluate("document.querySelector('#remove-confirm').innerText")
    assert "Xóa văn bản" in question and "nuôi ong mật" in question, question
    page.screenshot(path=str(ARTIFACTS / "admin-remove-confirm-desktop.png"), full_page=True)
    page.locator("#cancel-remove").click()
    page.locator("#remove-confirm").first.wait_for(state="hidden")
    wait_text(page, "#docs-table", "12/NQ-HĐND")  # cancelled: still there

    # The public reader: the outline and the text; the new document is listed.
    page.goto(server.url)
    page.get_by_role("tab", name="Văn bản").click()
    wait_text(page, "#docs-table", "12/NQ-HĐND")
    page.locator("#outline").get_by_text("Toàn văn").wait_for()
    page.screenshot(path=str(ARTIFACTS / "documents-desktop.png"), full_page=True)
    page.get_by_role("tab", name="Chỉ tiêu").click()
    wait_text(page, "#targets-table", "(11)")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("tab", name="Văn bản").click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "documents-phone.png"), full_page=True)
    assert page.external_requests == []  # type: ignore[attr-defined]
