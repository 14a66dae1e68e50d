"""Face detection from several threads at once does not abort the process.

dlib's HOG detector is one shared object; two threads running it at once aborted the whole
test run (the demo made its scenes on four threads). Run in a child process, so that a
regression fails this test instead of killing the suite.
"""

import subprocess
import sys

from testkit.faces import FACES

_SCRIPT = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from biometrics import HogDetector, load_image
names = ["obama.jpg", "biden.jpg", "obama2.jpg", "two_people.jpg", "obama-1080p.jpg"]
images = [load_image(Path(sys.argv[1]) / name) for name in names]
def found(i):
    return len(HogDetector(max_width=None, upsample=1).detect(images[i % len(images)]))
with ThreadPoolExecutor(max_workers=4) as pool:
    print(sorted(set(pool.map(found, range(24)))))
"""


def test_four_threads_detect_at_once_and_agree() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(FACES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[1, 2]"  # one face each, two in two_people.jpg
