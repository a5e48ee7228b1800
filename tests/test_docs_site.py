"""The built documentation site, opened in a real browser (headless Chromium).

Runs after ``python -m sphinx -W docs docs/_build/html`` (CI's last step:
``python -m pytest -m docs``): every page of the site's index, user guide and
gallery is loaded, and a JavaScript error, a console error (a resource that
did not load), an image that did not render or a link to a page or anchor
of the site that does not exist fails the test. Screenshots of the index and
two gallery pages are written to ``docs/_build/screenshots/``.
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
SCREENSHOTS = ROOT / "docs" / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SCREENSHOT_PAGES = ["index.html", "auto_examples/quickstart.html", "auto_examples/privacy.html"]


def site_pages() -> list[str]:
    pages = ["index.html", "getting_started.html", "user_guide.html", "architecture.html"]
    pages += ["api.html", "auto_examples/index.html"]
    pages += sorted(
        str(path.relative_to(SITE))
        for path in (SITE / "auto_examples").glob("*.html")
        if path.name != "index.html"
    )
    return pages


@pytest.fixture(scope="module")
def browser():
    if not (SITE / "index.html").is_file():
        pytest.skip("the site is not built: python -m sphinx -W docs docs/_build/html")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api", reason="needs the docs extra")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


_IDS = re.compile(r"""\b(?:id|name)=["']([^"']+)["']""")


def anchors(page: Path) -> set[str]:
    return set(_IDS.findall(page.read_text(encoding="utf-8")))


def broken_links(page: Path, hrefs: list[str]) -> list[str]:
    """The links of ``page`` to a file or an anchor of the site that does not exist."""
    broken = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme not in ("", "file") or href.startswith(("mailto:", "javascript:")):
            continue
        path = page if not parts.path else Path(unquote(parts.path))
        if parts.scheme == "" and parts.path:
            path = (page.parent / unquote(parts.path)).resolve()
        if not path.exists():
            broken.append(href)
        elif parts.fragment and path.suffix == ".html" and parts.fragment not in anchors(path):
            broken.append(href)
    return broken


@pytest.mark.parametrize("name", site_pages() if SITE.is_dir() else ["index.html"])
def test_page_renders_without_errors_broken_images_or_dead_links(browser, name):
    page_file = SITE / name
    assert page_file.is_file(), f"{name} is missing from the built site"
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(f"JavaScript: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.goto(page_file.as_uri(), wait_until="load")
    broken_images = page.evaluate(
        "Array.from(document.images)"
        ".filter(image => !image.complete || image.naturalWidth === 0)"
        ".map(image => image.getAttribute('src'))"
    )
    hrefs = page.evaluate(
        "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
    )
    if name in SCREENSHOT_PAGES:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / (name.replace("/", "_").removesuffix(".html") + ".png")
        page.screenshot(path=str(shot), full_page=True)
    page.close()
    assert not errors, errors
    assert not broken_images, f"{name}: images that did not render: {broken_images}"
    dead = broken_links(page_file, hrefs)
    assert not dead, f"{name}: links to nothing in the site: {dead}"


def test_the_gallery_has_a_page_for_every_example():
    if not (SITE / "auto_examples").is_dir():
        pytest.skip("the site is not built: python -m sphinx -W docs docs/_build/html")
    scripts = {path.stem for path in (ROOT / "examples").glob("*.py")}
    pages = {path.stem for path in (SITE / "auto_examples").glob("*.html")} - {"index"}
    assert scripts <= pages, sorted(scripts - pages)
