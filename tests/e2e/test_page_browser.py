"""The sandbox page in a real browser (Debian's chromium, driven by Playwright) against the
sandbox running the real bot, as `make run` starts it: pick a person, send text, press buttons,
receive a photo and a document, switch people, join as a new visitor, reset the demo, and the
phone-width drawer.

Screenshots of the main screens go to build/screenshots/ (gitignored), to look at after a change
to the page. Skipped only where /usr/bin/chromium is absent (.ci/run installs it with apt-get;
`playwright install` downloads a browser of its own, which can't be done here).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, Response, async_playwright, expect

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import CLIENT
from bot.settings import load_settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).parents[2] / "build" / "screenshots"
WAIT_MS = 15_000  # a reply under a loaded machine

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (Debian's chromium; .ci/run installs it with apt-get)",
)


@pytest.fixture
async def app(db_url: str, clock: FakeClock) -> AsyncIterator[MendBot]:
    """The bot with its own sandbox and demo centre, as `make run` without a token starts it."""
    settings = load_settings(
        _env_file=None, database_url=db_url, sandbox_port=0, outbox_interval_seconds=0.1
    )
    bot = MendBot(settings, clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


class Session:
    """One browser tab on the page; remembers every failed request and script error."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.failures: list[str] = []
        page.on("response", self._response)
        page.on("pageerror", lambda error: self.failures.append(f"script error: {error}"))

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.status} {response.url}")

    async def shot(self, screen: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{screen}.png"))

    async def pick(self, name: str) -> None:
        await self.page.locator(".person", has_text=name).first.click()
        await expect(self.page.locator("#me")).to_contain_text(name)

    async def send(self, text: str) -> None:
        """Type and send; an empty chat offers only START (as Telegram does), so type a command
        there after tapping one of the menu's chips."""
        if await self.page.locator("#start-btn").is_visible():
            await self.page.locator("#commands .chip").first.click()
        await self.page.locator("#input").fill(text)
        await self.page.locator("#input").press("Enter")
        await expect(self.page.locator("#input")).to_have_value("", timeout=WAIT_MS)

    def bot_says(self, text: str) -> Locator:
        return self.page.locator(".msg.bot .bubble", has_text=text).last

    async def wait_bot(self, text: str) -> None:
        await expect(self.page.locator(".msg.bot", has_text=text).last).to_be_visible(
            timeout=WAIT_MS
        )


async def _open(browser: Browser, base_url: str, name: str, **context: object) -> Session:
    # en-US shows 12-hour times unless told otherwise: the page must still show 24-hour ones
    tab = await browser.new_context(locale="en-US", timezone_id="Europe/London", **context)  # type: ignore[arg-type]
    page = await tab.new_page()
    session = Session(page, name)
    await page.goto(base_url + "/")
    await expect(page.locator(".person").first).to_be_visible()
    return session


def _png(width: int, height: int) -> bytes:
    """A real PNG: a warm gradient, so the screenshot shows the photo was drawn."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((200, 97 + y // 2, 63 + x % 128)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def test_the_tour_on_a_desktop(app: MendBot, browser: Browser) -> None:
    assert app.sandbox is not None
    base = app.sandbox.base_url
    tab = await _open(browser, base, "desktop", viewport={"width": 1280, "height": 800})
    page = tab.page
    await expect(page).to_have_title(re.compile("sandbox"))

    # pick Jordan: his own menu (set at start, before he wrote), then chat
    await tab.pick("Jordan")
    await expect(page.locator("#commands .chip", has_text="/checkin")).to_be_visible()
    await page.locator("#start-btn").click()  # an empty chat offers START, as Telegram does
    await tab.wait_bot("/progress")
    await tab.send("/help")
    await expect(page.locator(".msg.bot", has_text="/progress")).to_have_count(2, timeout=WAIT_MS)
    times = await page.locator(".meta").all_inner_texts()
    assert times and all(re.fullmatch(r"(edited · )?\d\d:\d\d", t) for t in times), times

    # press buttons: the check-in's first answers
    await tab.send("/checkin")
    await tab.wait_bot("How's your pain right now")
    await page.locator(".msg.bot").last.locator(".kb button", has_text="2").first.click()
    asked = page.locator(".msg.bot", has_text="How's your pain right now").last
    await expect(asked).to_contain_text("» 2", timeout=WAIT_MS)  # the answer, on the question
    await tab.shot("jordan-checkin")

    # a document from the bot (/mydata), and a photo sent with the Bot API (no flow sends one)
    await tab.send("/cancel")
    await tab.send("/mydata")
    document = page.locator(".msg.bot .doc").last
    await expect(document).to_be_visible(timeout=WAIT_MS)
    async with page.expect_download() as download:
        await document.click()
    assert (await download.value).suggested_filename.endswith(".json")
    async with httpx.AsyncClient(base_url=base) as http:
        sent = await http.post(
            f"/bot{app.sandbox.token}/sendPhoto",
            data={"chat_id": str(CLIENT.user_id), "caption": "Your knee, week 2"},
            files={"photo": ("knee.png", _png(320, 180), "image/png")},
        )
        assert sent.json()["ok"], sent.text
    photo = page.locator(".msg.bot img.photo").last
    await expect(photo).to_be_visible(timeout=WAIT_MS)
    # loaded and decoded (visible comes first: the image may still be on its way)
    await expect(photo).to_have_js_property("naturalWidth", 320, timeout=WAIT_MS)
    await expect(tab.bot_says("Your knee, week 2")).to_be_visible()
    await tab.shot("jordan-files")

    # switch to Sam: his chat only, his menu, his buttons
    await tab.pick("Sam")
    await expect(page.locator("#commands .chip", has_text="/clients")).to_be_visible()
    await expect(page.locator(".msg", has_text="Your knee")).to_have_count(0)
    await tab.send("/clients")
    await tab.wait_bot("Jordan")
    await page.locator(".msg.bot").last.locator(".kb button", has_text="Jordan").first.click()
    await tab.wait_bot("14 days")
    await tab.shot("sam-clients")

    # a new visitor: START, then the bot's welcome with buttons
    await page.locator("#join-name").fill("Nina")
    await page.locator("#join-form button[type=submit]").click()
    await expect(page.locator("#me")).to_contain_text("Nina")
    await page.locator("#start-btn").click()
    await tab.wait_bot("first name")
    await expect(page.locator(".person", has_text="Nina")).to_be_visible()
    await tab.shot("visitor-start")

    # reset the demo: asked first, then done
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#reset-btn").click()
    await expect(page.locator("#toast")).to_contain_text("reset", timeout=WAIT_MS)
    await tab.pick("Jordan")
    await expect(page.locator(".msg")).to_have_count(0)  # his chat starts afresh
    assert tab.failures == []  # no 404 (the icon), no script error


async def test_the_drawer_on_a_phone(app: MendBot, browser: Browser) -> None:
    assert app.sandbox is not None
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    tab = await _open(browser, app.sandbox.base_url, "phone", **phone)
    page = tab.page

    async def drawer(shown: bool) -> None:
        """Waits (up to WAIT_MS) until the drawer has slid in or out: its transition takes
        longer on a loaded machine."""
        left = "document.querySelector('#side').getBoundingClientRect().x"
        await page.wait_for_function(
            f"() => ({left} >= 0) === {str(shown).lower()}", timeout=WAIT_MS
        )

    await expect(page.locator("#app")).to_have_class(re.compile("side-open"))  # pick first
    await drawer(shown=True)
    await tab.shot("drawer")

    await tab.pick("Jordan")
    await expect(page.locator("#app")).not_to_have_class(re.compile("side-open"))
    await drawer(shown=False)
    await page.locator("#start-btn").click()
    await tab.wait_bot("/progress")
    await tab.send("/checkin")
    await tab.wait_bot("How's your pain right now")
    await tab.shot("chat")
    width = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0  # nothing wider than the phone

    await page.locator("#menu-btn").click()
    await drawer(shown=True)
    await tab.pick("Sam")  # switching closes it again
    await expect(page.locator("#app")).not_to_have_class(re.compile("side-open"))
    await drawer(shown=False)
    assert tab.failures == []


async def test_a_spanish_visitor_sees_the_page_and_the_bot_in_spanish(
    app: MendBot, browser: Browser
) -> None:
    """Picking the Telegram language of a new visitor turns the page's own words to it; the bot
    answers in it, and a person set to English turns the page back."""
    assert app.sandbox is not None
    tab = await _open(browser, app.sandbox.base_url, "spanish")
    page = tab.page
    await page.locator("#join-lang").select_option("es")
    await expect(page.locator(".join h2")).to_have_text("Nuevo visitante")
    await expect(page.locator("#join-form button[type=submit]")).to_have_text(
        "Empezar como nuevo visitante"
    )
    await expect(page.locator(".person", has_text="Jordan")).to_contain_text("Cliente de la demo")
    await page.locator("#join-name").fill("Lucía")
    await page.locator("#join-form button[type=submit]").click()
    await expect(page.locator("#me")).to_contain_text("Eres Lucía · Nuevo visitante")
    await expect(page.locator("#commands .chip", has_text="/book")).to_be_visible()
    await page.locator("#start-btn").click()
    await tab.wait_bot("¿Cuál es tu nombre?")
    await tab.shot("visitor-spanish")

    await tab.pick("Jordan")  # his Telegram is in English
    await expect(page.locator(".join h2")).to_have_text("New visitor")
    await expect(page.locator("#me")).to_contain_text("You are Jordan · Demo client")
    assert tab.failures == []
