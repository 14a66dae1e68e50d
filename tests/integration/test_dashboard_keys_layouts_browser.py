"""The operator's dashboard by keyboard only and in its three layouts (headless Chromium).

The alarm list, the live events and the event search's results are each one Tab stop with
arrows between rows; alarms are selected with Space and acknowledged from the keyboard.
Screenshots at 1366x768, 1920x1080 and phone width go to PORTGATE_SCREENSHOT_DIR when set.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.api.operator_board import (
    WAIT_MS,
    Served,
    acknowledged,
    alarm_row,
    open_dashboard,
    raise_alarms,
    screenshot,
    serve_board,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_board(tmp_path_factory.mktemp("board")) as board:
        yield board


def focused_class(page: Any) -> str:
    return str(
        page.evaluate("() => (document.activeElement && document.activeElement.className) || ''")
    )


def tab_to(page: Any, css_class: str, *, presses: int = 80) -> None:
    """Press Tab until the focused element has `css_class` (as a keyboard-only user would)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if css_class in focused_class(page).split():
            return
    raise AssertionError(f"Tab never reached .{css_class}")


def test_keyboard_only_through_events_and_alarms(served: Served, chrome: Any) -> None:
    ids = raise_alarms(served, 2, gate=served.world.gate2)  # the newest two: top of the list
    page = open_dashboard(chrome, served)
    alarm_row(page, ids[1]).wait_for(timeout=WAIT_MS)
    page.locator("#event-list li").nth(1).wait_for(timeout=WAIT_MS)

    tab_to(page, "ev")  # the live events: one Tab stop, arrows within
    first_event = page.locator("#event-list li").nth(0).get_attribute("data-event-id")
    assert page.evaluate("() => document.activeElement.dataset.eventId") == first_event
    page.keyboard.press("ArrowDown")
    second_event = page.locator("#event-list li").nth(1).get_attribute("data-event-id")
    assert page.evaluate("() => document.activeElement.dataset.eventId") == second_event

    tab_to(page, "alarm", presses=12)  # out of the events in a few presses, into the alarms
    assert page.evaluate("() => document.activeElement.dataset.alarmId") == ids[1]
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.dataset.alarmId") == ids[0]
    page.keyboard.press("Space")
    assert alarm_row(page, ids[0]).locator("input.alarm-select").is_checked()
    assert alarm_row(page, ids[1]).locator("input.alarm-select").is_checked()
    page.keyboard.press("Shift+Tab")  # back to the bulk form: its button, then the comment
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "bulk-comment"
    page.keyboard.type("checked from the keyboard")
    page.keyboard.press("Enter")
    for alarm_id in ids:
        alarm_row(page, alarm_id).wait_for(state="detached", timeout=WAIT_MS)
    comment = "checked from the keyboard"
    assert acknowledged(served, ids) == dict.fromkeys(ids, comment)
    assert page.problems == []


LAYOUTS = {"laptop": (1366, 768), "control-room": (1920, 1080), "phone": (390, 844)}


def test_the_three_layouts(served: Served, chrome: Any, tmp_path: Path) -> None:
    raise_alarms(served, 1)
    page = open_dashboard(chrome, served, viewport={"width": 1366, "height": 768})
    page.locator("#alarm-list li").first.wait_for(timeout=WAIT_MS)
    page.locator("#event-list li").first.wait_for(timeout=WAIT_MS)
    for layout, (width, height) in LAYOUTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => window.scrollTo(0, 0)")
        screenshot(page, tmp_path, f"dashboard-{layout}-{width}x{height}.png")
        if layout != "phone":
            for panel in (".dash-gates", ".dash-stream", ".dash-alarms"):
                box = page.locator(panel).bounding_box()  # the whole board, no page scroll
                assert box is not None, panel
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (layout, panel)
                assert box["y"] >= 0 and box["y"] + box["height"] <= height, (layout, panel)
    # The guard on patrol scrolls one column: the events panel is on the screen once
    # scrolled to, never beside it.
    screenshot(page, tmp_path, "dashboard-phone-full.png", full_page=True)
    page.locator(".dash-stream").scroll_into_view_if_needed()
    box = page.locator(".dash-stream").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert 0 <= box["y"] < 844
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.problems == []


def test_keyboard_through_the_event_search_results(served: Served, chrome: Any) -> None:
    page = open_dashboard(chrome, served)
    page.goto(served.url + "/dashboard/events")
    page.locator("#results tr").nth(1).wait_for(timeout=WAIT_MS)
    rows = page.locator("#results tr")
    for _ in range(40):  # Tab from the top of the page to the results: one stop for them all
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.tagName") == "TR":
            break
    focused = "() => document.activeElement.dataset.eventId"
    assert page.evaluate(focused) == rows.nth(0).get_attribute("data-event-id")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == rows.nth(1).get_attribute("data-event-id")
    page.keyboard.press("End")
    assert page.evaluate(focused) == rows.last.get_attribute("data-event-id")
    page.keyboard.press("Tab")  # and out of the table in one press
    assert page.evaluate("() => document.activeElement.tagName") != "TR"
