"""Accessibility checks on a Playwright page: axe-core's WCAG 2.1 A and AA rules, clipped text.

axe-core (Deque, MPL-2.0) comes as the copy the ``axe-playwright-python`` wheel bundles
(a dev dependency), so a fresh clone needs no npm step and no network at test time. It is
injected with ``page.add_script_tag(content=...)``; our pages forbid inline scripts with a
strict hash CSP, so the page's context must be made with ``bypass_csp=True`` (only for
these checks: every other browser test keeps the CSP on).

Use::

    page = browser.new_page(bypass_csp=True)
    page.goto(url)
    problems = axe_violations(page)
    assert not problems, describe(problems, "the dashboard")
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = [
    "STRUCTURE_RULES",
    "WCAG_21_AA",
    "Violation",
    "axe_source",
    "axe_violations",
    "clipped_texts",
    "describe",
    "weak_field_edges",
]

WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""axe's tags of the WCAG 2.0 and 2.1 level A and AA success criteria."""

STRUCTURE_RULES = (
    "landmark-one-main",
    "landmark-no-duplicate-main",
    "landmark-unique",
    "page-has-heading-one",
    "region",
)
"""axe's best-practice rules run as well: one <main>, a page <h1>, landmarks told apart by
their labels (two <nav> need names), all content inside a landmark."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One axe rule that failed, with the elements it failed on."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def line(self) -> str:
        """One readable line: rule id, impact, what it wants and the first targets."""
        shown = ", ".join(self.targets[:5])
        more = f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else ""
        return f"{self.rule} [{self.impact}] {self.help}: {shown}{more}"


@cache
def axe_source() -> str:
    """axe-core's minified script, as bundled by the axe-playwright-python wheel."""
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_violations(
    page: Any,
    *,
    tags: tuple[str, ...] = WCAG_21_AA,
    also: tuple[str, ...] = STRUCTURE_RULES,
    disabled_rules: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> list[Violation]:
    """Run axe-core with the rules of `tags` over `page` as it is now; its violations.

    Args:
        page: A Playwright page whose context was made with ``bypass_csp=True``.
        tags: axe's rule tags to run (WCAG 2.1 A and AA by default).
        also: Rule ids to run besides those of `tags` (the page structure by default).
        disabled_rules: Rule ids to skip; each needs a reason where it is passed.
        exclude: CSS selectors of parts that are not ours to check (none so far).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "rules": {
            **{rule: {"enabled": True} for rule in also},
            **{rule: {"enabled": False} for rule in disabled_rules},
        },
        "resultTypes": ["violations"],
    }
    context: dict[str, Any] = {"include": [["html"]]}
    if exclude:
        context["exclude"] = [[selector] for selector in exclude]
    raw = page.evaluate(
        "([context, options]) => axe.run(context, options).then(r => r.violations)",
        [context, options],
    )
    return [
        Violation(
            rule=str(item["id"]),
            impact=str(item.get("impact") or "unknown"),
            help=str(item.get("help", "")),
            targets=tuple(
                " ".join(str(part) for part in node["target"]) for node in item.get("nodes", [])
            ),
        )
        for item in raw
    ]


def describe(violations: list[Violation], where: str) -> str:
    """A readable list of `violations` found on `where`, one line each."""
    lines = [f"{len(violations)} accessibility violation(s) on {where}:"]
    lines += ["  " + violation.line() for violation in violations]
    return "\n".join(lines)


# Elements whose own text is cut off: a box that hides its overflow and is smaller than
# its text (an ellipsis too), text outside an ancestor that hides its overflow, or text
# that runs out of the viewport (the page scrolls sideways). Text in a box that scrolls is
# reached by scrolling, so not cut. Hidden elements and the visually-hidden helper (1 px,
# clipped on purpose) are skipped.
_CLIPPED_JS = """
() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const hides = (v) => v === 'hidden' || v === 'clip';
  const scrolls = (v) => v === 'auto' || v === 'scroll';
  const clipper = (el, r) => {
    for (let up = el.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      const s = getComputedStyle(up);
      const u = up.getBoundingClientRect();
      if (hides(s.overflowX) && (r.right > u.right + 1 || r.left < u.left - 1)) return up;
      if (hides(s.overflowY) && (r.bottom > u.bottom + 1 || r.top < u.top - 1)) return up;
      if (scrolls(s.overflowX) || scrolls(s.overflowY)) return 'scrolls';
    }
    return null;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.checkVisibility()) continue;
    if (el.closest('.pg-visually-hidden, script, style, template, option')) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const text = el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40);
    const cut = clipper(el, r);
    if (hides(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      out.push(name(el) + ' cut off sideways: ' + text);
    } else if (hides(style.overflowY) && el.scrollHeight > el.clientHeight + 1) {
      out.push(name(el) + ' cut off below: ' + text);
    } else if (cut !== null && cut !== 'scrolls') {
      out.push(name(el) + ' hidden by ' + name(cut) + ': ' + text);
    } else if (cut === null && r.right > width + 1) {
      out.push(name(el) + ' runs out of the page: ' + text);
    }
  }
  return out;
}
"""


def clipped_texts(page: Any) -> list[str]:
    """Elements of `page` whose own text is hidden by overflow or runs out of the viewport.

    Text inside a box that scrolls sideways (a wide table in its wrapper) is not cut: it is
    reached by scrolling.
    """
    return [str(line) for line in page.evaluate(_CLIPPED_JS)]


# WCAG 1.4.11 (non-text contrast), which axe does not check: a field's or button's edge,
# its border or its own background, must stand out 3:1 from what is behind it.
_WEAK_EDGES_JS = """
(minimum) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const opaque = (c) => c.length < 4 || c[3] > 0.5;
  const behind = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      const c = rgb(getComputedStyle(up).backgroundColor);
      if (c.length >= 3 && opaque(c)) return c;
    }
    return [255, 255, 255];
  };
  const skip = ['hidden', 'checkbox', 'radio', 'file', 'color', 'range'];
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type && skip.includes(el.type) || el.disabled || !el.checkVisibility()) continue;
    const s = getComputedStyle(el);
    const back = behind(el);
    const own = rgb(s.backgroundColor);
    const edge = parseFloat(s.borderTopWidth) > 0 ? rgb(s.borderTopColor) : [];
    const best = Math.max(
      edge.length >= 3 && opaque(edge) ? ratio(edge, back) : 0,
      own.length >= 3 && opaque(own) ? ratio(own, back) : 0,
    );
    if (best < minimum) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
      out.push(name + ' edge ' + best.toFixed(2) + ':1');
    }
  }
  return out;
}
"""


def weak_field_edges(page: Any, *, minimum: float = 3.0) -> list[str]:
    """Visible fields and buttons of `page` whose edge stands out less than `minimum`:1.

    The edge is the better of the border's and the field's own background's contrast with
    the first opaque background behind it (WCAG 1.4.11, which axe-core leaves out).
    Checkboxes, radios and file pickers keep the browser's own drawing and are skipped.
    """
    return [str(line) for line in page.evaluate(_WEAK_EDGES_JS, minimum)]
