"""Video links: only http(s) web addresses, labelled with their site."""

from __future__ import annotations

import pytest

from flows.library.video import named_video_button, site, video_button, web_link


@pytest.mark.parametrize(
    "link",
    [
        "https://www.youtube.com/watch?v=abc",
        "http://youtu.be/abc",
        "https://vimeo.com/12345",
        "https://example.org/knee.mp4",
    ],
)
def test_web_links_are_kept(link: str) -> None:
    assert web_link(f"  {link} ") == link


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "tg://resolve?domain=x",
        "ftp://example.org/x",
        "https://localhost/x",
        "www.youtube.com/watch?v=abc",
        "https://exa mple.org/",
        "https://example.org/\u202ex",
        "https://example.org/" + "a" * 300,
        "",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    assert web_link(text) is None


def test_youtube_and_vimeo_are_named_as_such() -> None:
    assert site("https://m.youtube.com/watch?v=1") == "youtube"
    assert site("https://youtu.be/1") == "youtube"
    assert site("https://player.vimeo.com/video/1") == "vimeo"
    assert site("https://notyoutube.com/x") is None
    assert site("https://youtube.com.evil.example/x") is None


def test_the_button_is_a_url_button_labelled_with_its_site() -> None:
    youtube = video_button("https://youtu.be/1", "en")
    assert youtube is not None and youtube.url == "https://youtu.be/1" and youtube.data is None
    assert "YouTube" in youtube.text
    vimeo = video_button("https://vimeo.com/1", "en")
    assert vimeo is not None and "Vimeo" in vimeo.text
    other = video_button("https://example.org/v", "en")
    assert other is not None and "video" in other.text
    named = named_video_button("https://vimeo.com/1", "en", 2, "Bridges")
    assert named is not None and named.text == "▶ 2. Bridges (Vimeo)"


def test_a_stored_link_that_is_not_a_web_link_gets_no_button() -> None:
    """Stored before links were checked: no button beats a message Telegram refuses."""
    assert video_button("javascript:alert(1)", "en") is None
    assert named_video_button("", "en", 1, "Bridges") is None
