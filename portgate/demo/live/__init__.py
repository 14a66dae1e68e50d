"""Synthesised presentations for the demo's staff-gate camera, made from the shipped stills.

The demo has still photos, not people: a liveness check rightly refuses a still. So that
the staff gate can run liveness in the demo, this room makes, at demo start, what a
camera would see of a person and of an attack:

* `session`: a live session synthesised from one photo with the licence-clean 5-point
  landmarks (dlib's 5-point model): a blink, the parallax of a slight head turn and a
  little head motion, warped into the photo;
* `printed`: that photo printed and held up in a hand (halftone, paper, bend, hand
  motion), the attack the demo shows refused;
* `motion`: the plane paths and the landmark-driven warp both use (testkit's simulators
  use them too: one copy).

A real gate sees real people; these sessions are synthesised and the demo says so. They
are not a liveness measurement (docs/liveness.md).
"""
