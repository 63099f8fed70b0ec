"""``report.pdf``: the HTML report printed by a headless Chromium-family browser.

Chromium prints the page with its own print stylesheet (A4 landscape, a page per section,
tables kept whole), the same engine that shows it on screen, so the PDF matches the page:
CSS grid, ``@page`` and the embedded charts included. The Python HTML-to-PDF libraries
either lack grid layout or bring a native stack of their own; a browser is already on most
analysts' machines. Nothing is downloaded: without a browser the caller gets one clear
message saying what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SufficiencyError

#: Names a Chromium-family browser goes by (Debian, Ubuntu, Homebrew, Google's builds).
BROWSERS: tuple[str, ...] = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
)

#: Environment variable naming the browser to use instead of searching the PATH.
BROWSER_VARIABLE = "SUFFICIENCY_BROWSER"

#: Where a browser is found on macOS and Windows when it is not on the PATH.
_KNOWN_PATHS: tuple[str, ...] = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
)

#: What to do when no browser is found.
NO_BROWSER = (
    "report.pdf needs a Chromium-family browser to print the report and none was found: "
    "install Chromium (Debian/Ubuntu: apt-get install chromium) or Google Chrome, or set "
    f"{BROWSER_VARIABLE} to the browser's path; or run without --pdf and print report.html "
    "from a browser (its print stylesheet gives the same A4 landscape pages)"
)

#: Seconds a print may take before it is given up.
TIMEOUT = 180.0


def find_browser() -> str | None:
    """The browser to print with: ``$SUFFICIENCY_BROWSER``, else the first of
    :data:`BROWSERS` on the PATH, else a known install location; None if there is none."""
    given = os.environ.get(BROWSER_VARIABLE)
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _KNOWN_PATHS if Path(p).is_file()), None)


def write_pdf(page: str | Path, pdf: str | Path) -> Path:
    """Print the HTML file ``page`` to ``pdf`` with a headless browser.

    Raises:
        SufficiencyError: If no browser is found, or it fails or writes no PDF.
    """
    page, pdf = Path(page).resolve(), Path(pdf).resolve()
    exe = find_browser()
    if exe is None:
        raise SufficiencyError(NO_BROWSER)
    flags = [
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-pdf-header-footer",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # the browser refuses to run as root with its sandbox
    with tempfile.TemporaryDirectory(prefix="sufficiency-pdf-") as profile:
        try:
            done = subprocess.run(
                [
                    exe,
                    *flags,
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={pdf}",
                    page.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SufficiencyError(
                f"printing {page.name} to PDF with {exe} failed: {exc}"
            ) from None
    if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise SufficiencyError(
            f"printing {page.name} to PDF with {exe} wrote no PDF (exit {done.returncode}: "
            f"{tail[0]})"
        )
    return pdf
