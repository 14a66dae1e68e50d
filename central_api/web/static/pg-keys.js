/* PortGate keyboard lists: one Tab stop per list, arrows move between its rows.
   A list (alarms, live events, search results) is reached with Tab once; Up/Down (and
   Home/End) then move the focus row by row, so an operator never tabs through hundreds
   of rows to reach the next control. Rows come and go live: the roving stop is repaired
   whenever the list changes. */
"use strict";
(function () {
  const PG = (window.PG = window.PG || {});

  function rows(container, selector) {
    return [...container.querySelectorAll(selector)];
  }

  const INNER = "a[href], button, input, select, textarea";

  // Exactly one row is tabbable, with its own fields: the one focused last if it is still
  // there, else the first. The other rows' fields are reached by moving to their row.
  function settle(all, current) {
    for (const row of all) {
      row.tabIndex = row === current ? 0 : -1;
      for (const field of row.querySelectorAll(INNER)) {
        if (row === current) field.removeAttribute("tabindex");
        else field.tabIndex = -1;
      }
    }
  }

  function repair(container, selector) {
    const all = rows(container, selector);
    settle(all, all.find((row) => row.tabIndex === 0) || all[0]);
  }

  function move(container, selector, from, key) {
    const all = rows(container, selector);
    const at = all.indexOf(from);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 }[key];
    const next = all[Math.max(0, Math.min(all.length - 1, to))];
    if (!next) return;
    settle(all, next);
    next.focus();
  }

  /**
   * Make the rows of `container` (matching `selector`) one keyboard list.
   * onKey(row, event) sees every other key pressed on a row itself (not inside its fields).
   */
  PG.keyList = function (container, selector, onKey) {
    new MutationObserver(() => repair(container, selector)).observe(container, { childList: true });
    repair(container, selector);
    container.addEventListener("keydown", (event) => {
      const row = event.target instanceof Element && event.target.matches(selector) ? event.target : null;
      if (!row || event.altKey || event.ctrlKey || event.metaKey) return;
      if (["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) {
        event.preventDefault();
        move(container, selector, row, event.key);
      } else if (onKey) {
        onKey(row, event);
      }
    });
    container.addEventListener("focusin", (event) => {
      const row = event.target instanceof Element ? event.target.closest(selector) : null;
      if (!row || !container.contains(row) || row.tabIndex === 0) return;
      settle(rows(container, selector), row);
    });
  };
})();
