"""Headless Chromium for the report's tests: measure a page's layout, print it to PDF and
read the PDF back (poppler's pdftotext and pdfinfo)."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

from sufficiency.report.pdf import find_browser

#: Flags that let Chromium run headless in a container without a profile or the network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

#: Measures every table against the page: written into the DOM for ``--dump-dom``.
_PROBE = """
<script>
window.addEventListener('load', () => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const tables = [...document.querySelectorAll('table')].map((t, i) => {
    const box = t.getBoundingClientRect();
    const parent = t.parentElement.getBoundingClientRect();
    return {index: i, left: box.left, right: box.right, width: box.width,
            scroll: t.scrollWidth, client: t.clientWidth, parent_right: parent.right,
            head: (t.querySelector('th') || {}).textContent || ''};
  });
  // words of letters a table cell shows on two lines (broken inside the word)
  const broken = [];
  document.querySelectorAll('td').forEach(td => {
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const words = /[A-Za-z]{2,}/g;
      let m;
      while ((m = words.exec(node.data))) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  });
  const out = {viewport: width, scroll_width: doc.scrollWidth, tables: tables,
               broken_words: broken};
  const pre = document.createElement('pre');
  pre.id = 'layout-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def browser() -> str | None:
    """The path of a Chromium-family browser, or None: the one ``--pdf`` prints with."""
    return find_browser()


def _run(args: list[str], profile: Path, timeout: float = 120.0) -> str:
    exe = browser()
    assert exe is not None
    done = subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.stdout


def layout(page: Path, width: int = 1280, height: int = 900) -> dict:
    """Where every table of ``page`` lies in a window ``width`` pixels wide: the page's
    scroll width against its viewport, and each table's box."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.html"
        text = page.read_text(encoding="utf-8")
        probe.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
        dom = _run(
            [
                f"--window-size={width},{height}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                probe.as_uri(),
            ],
            Path(tmp) / "profile",
        )
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print ``page`` to ``pdf`` as Chromium does (its print stylesheet and page size)."""
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri()],
            Path(tmp) / "profile",
        )
    return pdf


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 4000) -> Path:
    """A PNG of ``page`` in a window ``width`` pixels wide."""
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            [f"--window-size={width},{height}", f"--screenshot={png}", page.resolve().as_uri()],
            Path(tmp) / "profile",
        )
    return png


def pdf_text(pdf: Path) -> str:
    """The PDF's text (pdftotext, reading order)."""
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Every page's width and height in points (pdfinfo)."""
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return [
        (float(w), float(h))
        for w, h in re.findall(r"Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+)", out)
    ]
