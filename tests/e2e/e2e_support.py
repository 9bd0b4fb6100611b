"""Helpers of the browser scenarios: error watching, page reading, test files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, Response
from stdnum.cn import ric

from app.national_files import minimal_pdf

# Flash messages sit directly in the layout's row, before the page content.
FLASH_SELECTOR = "body > div.container > div.row > div.alert"

# Error responses every page may get without failing a step; none so far.
STANDING_EXPECTED: tuple[tuple[int, str], ...] = ()
# Chromium loads the page icon last and aborts that request when a step
# navigates on before it finishes. The icon has its own test in the unit suite.
ABORTABLE_ANY_TIME = ("/static/img/favicon.png",)


@dataclass
class PageWatch:
    """Problems one page reported: console errors, page errors, failed requests.

    A step that provokes an error response on purpose lists it with
    `expect_status` first; anything else fails the step in `check`.
    """

    page: Page
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)
    expected_aborts: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    prompt_answer: str | None = None

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)
        self.page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        # The browser logs every error response once more on the console.
        if "Failed to load resource" in text and self._is_expected_url(message.location.get("url", "")):
            return
        self.problems.append(f"console error: {text} at {message.location.get('url', '')}")

    def _is_expected_url(self, url: str) -> bool:
        return any(part in url for _status, part in [*STANDING_EXPECTED, *self.expected])

    def _on_request_failed(self, request: Request) -> None:
        # Chromium aborts the navigation request that turns into a download.
        if request.failure == "net::ERR_ABORTED" and any(
            part in request.url for part in (*self.expected_aborts, *ABORTABLE_ANY_TIME)
        ):
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        if response.status < 400:
            return
        for status, part in [*STANDING_EXPECTED, *self.expected]:
            if response.status == status and part in response.url:
                return
        self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        if dialog.type == "prompt":
            if self.prompt_answer is None:
                self.problems.append(f"unexpected prompt: {dialog.message}")
                dialog.dismiss()
                return
            dialog.accept(self.prompt_answer)
            self.prompt_answer = None
            return
        dialog.accept()

    def expect_status(self, status: int, url_part: str) -> None:
        """Allow one error status for URLs containing `url_part` until the next check."""
        self.expected.append((status, url_part))

    def expect_download(self, url_part: str) -> None:
        """Allow the aborted navigation of a download until the next check."""
        self.expected_aborts.append(url_part)

    def check(self, step: str) -> None:
        """Fail the step if the page reported any problem, then start afresh."""
        problems, self.problems = self.problems, []
        self.expected.clear()
        self.expected_aborts.clear()
        assert not problems, f"{step}: the browser reported problems:\n" + "\n".join(problems)


@dataclass
class Shots:
    """Numbered full-page screenshots, so the folder lists them in run order."""

    folder: Path
    count: int = 0

    def take(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def flash_texts(page: Page) -> list[str]:
    """Return the flash messages of the current page, without the close button's ×."""
    texts = page.locator(FLASH_SELECTOR).all_inner_texts()
    return [text.replace("×", "").strip() for text in texts]


def assert_flash(page: Page, expected: str, step: str) -> None:
    texts = flash_texts(page)
    assert any(expected in text for text in texts), (
        f"{step}: expected the flash message {expected!r}, the page shows {texts!r}"
    )


def cell_texts(page: Page, row_selector: str) -> list[str]:
    return [text.strip() for text in page.locator(f"{row_selector} > td").all_inner_texts()]


def hours_row(page: Page, year: int, table: str = "table.hours-table") -> list[str]:
    """Return the figures of one year's row of the four-year table (年度学时)."""
    return cell_texts(page, f"{table} tr[data-year='{year}']")


def definition(page: Page, label: str, scope: str = "dl") -> str:
    """Return the text of the <dd> that follows the <dt> labelled `label`."""
    locator = page.locator(f"{scope} dt", has_text=re.compile(rf"^{re.escape(label)}:?$"))
    return locator.locator("xpath=following-sibling::dd[1]").inner_text().strip()


def navigate(target, selector: str | None = None) -> None:
    """Click a link or submit button and wait until the next page has loaded.

    `target` is a page with a selector, or a locator. Without the wait, a
    check right after the click could read the page being left.
    """
    page = target if selector is not None else target.page
    with page.expect_navigation():
        if selector is not None:
            page.click(selector)
        else:
            target.click()


def login(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    navigate(page, "#login-form button[type=submit]")


def id_number_with_check(body: str) -> str:
    """Complete a 17-digit ID-card body with its GB 11643 check character."""
    # python-stdnum's calc_check_digit ignores the last character it is given.
    return body + ric.calc_check_digit(body + "0")


def write_pdf(path: Path, text: str) -> Path:
    """Write a one-page PDF with valid cross-references, small enough to read by eye."""
    path.write_bytes(minimal_pdf(text))
    return path


def write_jpeg(path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    """Write a small JPEG photo with a gradient, so that it is not a blank image."""
    image = Image.new("RGB", size)
    width, height = size
    image.putdata(
        [(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)]
    )
    image.save(path, "JPEG", quality=85)
    return path
