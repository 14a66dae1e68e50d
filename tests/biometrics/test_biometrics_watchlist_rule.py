"""The watchlist rule (`biometrics.watchlist.watchlist_hit`): one encoding, or frames agreeing.

Pure logic on distance matrices: rows are gallery rows, an entry may own several rows.
"""

import numpy as np

from biometrics import WatchlistGallery
from biometrics.watchlist import watchlist_hit

IDS = ("ban:1", "ban:1", "poi:2")  # ban:1 has two photos


def test_one_encoding_hits_at_or_under_the_threshold_only() -> None:
    hit = watchlist_hit([[0.50, 0.36, 0.90]], IDS, threshold=0.36)
    assert hit is not None and (hit.entry_id, hit.distance, hit.frames) == ("ban:1", 0.36, 1)
    assert watchlist_hit([[0.50, 0.361, 0.90]], IDS, threshold=0.36) is None
    assert watchlist_hit(np.empty((0, 3)), IDS, threshold=0.36) is None


def test_two_frames_must_both_be_near_the_same_entry() -> None:
    # One frame very near, the other far: a single lucky frame does not hit a track.
    assert watchlist_hit([[0.10, 0.9, 0.9], [0.80, 0.9, 0.9]], IDS, threshold=0.4, frames=2) is None
    # Each frame near a different entry: no agreement.
    assert watchlist_hit([[0.30, 0.9, 0.9], [0.9, 0.9, 0.30]], IDS, threshold=0.4, frames=2) is None
    # Both near ban:1 (through its two photos): the farther of the two is the hit's distance.
    hit = watchlist_hit([[0.30, 0.9, 0.9], [0.9, 0.38, 0.9]], IDS, threshold=0.4, frames=2)
    assert hit is not None and (hit.entry_id, hit.distance, hit.frames) == ("ban:1", 0.38, 2)


def test_of_two_agreed_entries_the_nearer_is_named_and_one_frame_never_agrees() -> None:
    matrix = [[0.39, 0.9, 0.20], [0.35, 0.9, 0.25], [0.9, 0.9, 0.9]]
    hit = watchlist_hit(matrix, IDS, threshold=0.4, frames=2)
    assert hit is not None and hit.entry_id == "poi:2" and hit.distance == 0.25
    assert watchlist_hit([[0.01, 0.9, 0.9]], IDS, threshold=0.4, frames=2) is None


def test_the_gallery_screens_with_the_rule() -> None:
    rng = np.random.default_rng(7)
    faces = (rng.standard_normal((3, 128)) * 0.09).astype(np.float32)
    gallery = WatchlistGallery.from_matrix(["a", "b", "c"], faces)
    near_b = [faces[1] + 0.01, faces[1] - 0.01]
    hit = gallery.screen(near_b, threshold=0.4, frames=2)
    assert hit is not None and hit.entry_id == "b" and hit.frames == 2
    assert gallery.screen(near_b[:1], threshold=0.4, frames=2) is None
    assert gallery.screen([faces[1] + 0.01, faces[2]], threshold=0.4, frames=2) is None
