"""The analyst's pages in a real Chromium, over a `watcher serve` of the demo's history.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; ``.ci/run`` installs them) and Selenium; skipped with the reason
otherwise. Nothing is downloaded: Selenium is given the system driver and browser, and the pages
load nothing from another host.

One browser and two servers for the module: one read-only, one started with a token (the only
one whose history a test changes). Each page is saved as a screenshot in ``build/screenshots/``
(git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from historystore import demo_database
from serving import watcher_serve

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "build" / "screenshots"
TOKEN = "correct-horse-battery-staple"
TOPIC = "coalition-air-cover"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver; "
        ".ci/run does)",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module, with a fresh profile."""
    profile = tempfile.mkdtemp(prefix="watcher-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # the system driver: Selenium Manager never runs, so nothing is downloaded
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _demo_copy(factory: pytest.TempPathFactory, name: str) -> tuple[Path, Path]:
    workdir = factory.mktemp(name)
    database = workdir / "watcher.db"
    shutil.copyfile(demo_database(factory), database)
    return database, workdir


@pytest.fixture(scope="module")
def readonly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`watcher serve` without a token over a copy of the demo's history, with its config."""
    database, workdir = _demo_copy(tmp_path_factory, "readonly")
    with watcher_serve(database, workdir, config=ROOT / "seeds" / "demo.toml") as base:
        yield base


@pytest.fixture(scope="module")
def with_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`watcher serve --token-env` over another copy: the one a test may change."""
    database, workdir = _demo_copy(tmp_path_factory, "with-token")
    with watcher_serve(
        database,
        workdir,
        config=ROOT / "seeds" / "demo.toml",
        options=("--token-env", "T_VIEW_TOKEN"),
        env={"T_VIEW_TOKEN": TOKEN},
    ) as base:
        yield base


def visit(browser: webdriver.Chrome, url: str, screenshot: str | None = None) -> None:
    """Open ``url``; save a full-page screenshot under ``screenshot`` (a file name)."""
    browser.get(url)
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(1280, max(800, min(int(height) + 40, 4000)))
        browser.save_screenshot(str(SCREENSHOTS / screenshot))
        browser.set_window_size(1280, 1000)


def submit(browser: webdriver.Chrome, form: Any) -> None:
    """Press the form's button and wait until the answer has replaced the page."""
    form.find_element(By.TAG_NAME, "button").click()
    gone = expected_conditions.staleness_of(form)

    def page_replaced(driver: webdriver.Chrome) -> bool:
        try:
            return gone(driver)
        except WebDriverException as exc:
            # Asked mid-navigation, chromedriver may answer that the node left the document
            # instead of calling it stale; the next poll sees it stale.
            if "does not belong to the document" in (exc.msg or ""):
                return False
            raise

    WebDriverWait(browser, 10).until(page_replaced)


def us_shift_url(browser: webdriver.Chrome, base: str) -> str:
    """The US shift's page, found as a person would: from the topic page's shift list."""
    browser.get(f"{base}/-/topic/{TOPIC}")
    row = browser.find_element(By.CSS_SELECTOR, "table.shifts tr[data-actor='US']")
    return row.find_element(By.TAG_NAME, "a").get_attribute("href")


def test_the_topics_page_shows_each_actors_stance_in_force(
    browser: webdriver.Chrome, readonly: str
) -> None:
    visit(browser, f"{readonly}/", "topics.png")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-topic='{TOPIC}']")
    assert "The US will provide air cover" in row.text  # the claim, from the config
    stances = {
        actor.get_attribute("data-actor"): actor.find_element(By.CLASS_NAME, "badge").text
        for actor in row.find_elements(By.CSS_SELECTOR, "div[data-actor]")
    }
    assert stances == {"US": "against", "UK": "for", "France": "for", "Russia": "no position"}
    assert "observing → against" in row.text  # the last shift
    us = row.find_element(By.CSS_SELECTOR, "div[data-actor='US'] .shifted")
    assert us.text == "shifted 2025-06-11"
    assert row.find_elements(By.CSS_SELECTOR, "td.timeline svg g.lane")  # the small timeline
    colour = row.find_element(By.CSS_SELECTOR, "div[data-actor='US'] .badge")
    assert colour.value_of_css_property("background-color") == "rgba(198, 40, 40, 1)"  # red
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert loaded and all(url.startswith(readonly) for url in loaded)  # nothing from elsewhere


def test_the_topic_page_shows_the_us_line_with_its_step_to_against(
    browser: webdriver.Chrome, readonly: str
) -> None:
    visit(browser, f"{readonly}/-/topic/{TOPIC}", "topic.png")
    us = browser.find_element(By.CSS_SELECTOR, "#timeline svg g.lane[data-actor='US']")
    steps = us.find_elements(By.CSS_SELECTOR, "line.step")
    assert [(s.get_attribute("data-from"), s.get_attribute("data-to")) for s in steps] == [
        ("observing", "against")
    ]
    dots = us.find_elements(By.CSS_SELECTOR, "circle.mark")
    assert [dot.get_attribute("data-stance") for dot in dots] == [
        "observing",
        "observing",
        "observing",
        "against",
        "against",
    ]
    shift_dot = us.find_element(By.CSS_SELECTOR, "circle.decision-shift")
    assert shift_dot.get_attribute("data-stance") == "against"
    # the step stands where the shift's dot is
    assert steps[0].get_attribute("x1") == shift_dot.get_attribute("cx")
    uk = browser.find_element(By.CSS_SELECTOR, "#timeline svg g.lane[data-actor='UK']")
    assert not uk.find_elements(By.CSS_SELECTOR, "line.step")  # never shifted
    shifts = browser.find_elements(By.CSS_SELECTOR, "table.shifts tbody tr")
    assert [row.get_attribute("data-actor") for row in shifts] == ["US"]
    assert "observing → against" in " ".join(shifts[0].text.split())


def test_the_shift_page_lists_three_sources_earliest_first(
    browser: webdriver.Chrome, readonly: str
) -> None:
    visit(browser, us_shift_url(browser, readonly), "shift.png")
    summary = browser.find_element(By.ID, "summary").text
    assert (
        summary
        == "United States now refuses air cover for the European force in Ukraine (was: undecided)"
    )
    alert = browser.find_element(By.ID, "alert")
    assert "Claim: The US will provide air cover" in alert.text
    sources = [item.text for item in alert.find_elements(By.CSS_SELECTOR, "ul li")]
    assert len(sources) == 3
    times = [re.search(r"\((\d{4}-\d\d-\d\d \d\d:\d\d)\)", source).group(1) for source in sources]
    assert times == sorted(times) and times[0] == "2025-06-11 18:20"
    assert sources[0].startswith("ukraine-briefing.xml") and "[first-hand]" in sources[0]
    assert "[second-hand]" in sources[2]
    assert alert.find_elements(By.TAG_NAME, "del") and alert.find_elements(By.TAG_NAME, "ins")
    assert "refuses" in alert.find_element(By.TAG_NAME, "ins").text + alert.text
    assert browser.find_element(By.ID, "status").text == "open"


def test_without_a_token_there_are_no_buttons_and_posts_are_refused(
    browser: webdriver.Chrome, readonly: str
) -> None:
    shift = us_shift_url(browser, readonly)
    visit(browser, shift)
    assert not browser.find_elements(By.TAG_NAME, "form")
    for action in ("ack", "reject"):
        answer = httpx.post(f"{shift}/{action}", data={"token": TOKEN, "why": "wrong"})
        assert answer.status_code == 403
        assert "Read-only" in answer.text
    visit(browser, shift)
    assert browser.find_element(By.ID, "status").text == "open"


def test_feeds_and_search_pages(browser: webdriver.Chrome, readonly: str) -> None:
    visit(browser, f"{readonly}/-/feeds", "feeds.png")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.feeds tbody tr")
    assert len(rows) == 3
    assert {row.get_attribute("data-health") for row in rows} == {"ok"}
    visit(browser, f"{readonly}/-/search?q=aerial+cover", "search.png")
    hits = browser.find_elements(By.CSS_SELECTOR, "ol.results li")
    assert hits and "aerial" in hits[0].text.lower()
    marked = {mark.text.lower() for mark in browser.find_elements(By.TAG_NAME, "mark")}
    assert marked <= {"aerial", "cover"} and "aerial" in marked
    sql = browser.find_element(By.LINK_TEXT, "SQL (Datasette)").get_attribute("href")
    assert sql.endswith("/watcher")  # Datasette, for SQL and the canned queries


def test_with_the_token_reject_changes_the_page(browser: webdriver.Chrome, with_token: str) -> None:
    shift = us_shift_url(browser, with_token)
    visit(browser, shift)
    form = browser.find_element(By.ID, "reject-form")
    form.find_element(By.NAME, "token").send_keys("not the token")
    form.find_element(By.NAME, "why").send_keys("a critic's quote")
    submit(browser, form)
    assert browser.find_element(By.ID, "message").text == "Wrong token."
    visit(browser, shift)
    assert browser.find_element(By.ID, "status").text == "open"

    form = browser.find_element(By.ID, "reject-form")
    form.find_element(By.NAME, "token").send_keys(TOKEN)
    form.find_element(By.NAME, "why").send_keys("a critic's quote, not the government's")
    submit(browser, form)
    assert browser.current_url == shift  # back on the shift page, which shows the change
    assert browser.find_element(By.ID, "status").text == "rejected"
    correction = browser.find_element(By.CSS_SELECTOR, "#corrections tbody tr").text
    assert "reject web a critic's quote, not the government's" in correction
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "shift-rejected.png"))

    visit(browser, f"{with_token}/-/topic/{TOPIC}", "topic-rejected.png")
    us = browser.find_element(By.CSS_SELECTOR, "table.actors tr[data-actor='US'] .badge")
    assert us.text == "observing"  # the stance before the rejected shift is back in force
    lane = browser.find_element(By.CSS_SELECTOR, "#timeline svg g.lane[data-actor='US']")
    assert lane.find_elements(By.CSS_SELECTOR, "path.correction")  # the shift is crossed out
    assert not lane.find_elements(By.CSS_SELECTOR, "line.step")


def test_a_post_without_the_csrf_token_is_refused(with_token: str) -> None:
    shift = f"{with_token}/-/shift/1"
    no_cookie = httpx.post(f"{shift}/ack", data={"token": TOKEN})
    assert no_cookie.status_code == 403
    assert "CSRF" in no_cookie.text
    with httpx.Client() as client:
        client.get(shift)  # the page with the forms sets Datasette's CSRF cookie
        assert client.cookies.get("ds_csrftoken")
        forged = client.post(f"{shift}/ack", data={"token": TOKEN, "csrftoken": "forged"})
    assert forged.status_code == 403


def test_a_reject_without_a_reason_is_explained_and_changes_nothing(with_token: str) -> None:
    shift = f"{with_token}/-/shift/1"
    with httpx.Client() as client:
        page = client.get(shift).text
        csrf = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
        answer = client.post(
            f"{shift}/reject", data={"token": TOKEN, "csrftoken": csrf, "why": "  "}
        )
        after = client.get(shift).text
    assert answer.status_code == 400
    assert "rejecting shift #1 needs a reason" in answer.text
    assert after.count("<td>reject</td>") == page.count("<td>reject</td>")  # nothing recorded
