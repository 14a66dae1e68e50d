#!/usr/bin/env bash
# Build dlib from source against Debian's OpenBLAS once, into a local wheelhouse, and swap it
# into .venv in place of the dlib-bin wheel. dlib-bin has no BLAS: a face encoding costs
# ~77 ms with it and ~17 ms with this build. The build takes about 9 minutes on 2 cores;
# later runs reuse the wheel. `make venv` re-applies a built wheel after every `uv sync`.
# The wheel is compiled for TARGET_CPU (a gcc -march value): `native` (the default) for a
# build used on the machine that built it, `x86-64-v3` (AVX2 + FMA, any x86 server since
# 2013) where the wheel travels, as in the Docker images. dlib's own build asks only for
# AVX, and with Debian's GCC 12 its HOG face search then runs 2.2-2.9x slower than the
# dlib-bin wheel's (GCC 14): 640x360 frame 40 ms with -mavx, 21 ms with -mavx2 -mfma,
# 18 ms with -march=native on this machine's EPYC. Each TARGET_CPU has its own folder.
#   scripts/build-dlib-blas.sh               build if needed, then swap into .venv
#   scripts/build-dlib-blas.sh --wheel-only  build if needed (Docker builder stage)
#   scripts/build-dlib-blas.sh --swap-only   swap an already built wheel in, if there is one
set -euo pipefail
cd "$(dirname "$0")/.."

DLIB_VERSION="${DLIB_VERSION:-20.0.1}"
TARGET_CPU="${TARGET_CPU:-native}"
WHEELHOUSE="${WHEELHOUSE:-wheelhouse}/$TARGET_CPU"
MODE="${1:-all}"
PYTHON="${PYTHON:-python3}"
UV="${UV:-uv}"

wheel() { ls "$WHEELHOUSE"/dlib-"$DLIB_VERSION"-*.whl 2>/dev/null | head -n 1; }

if [ "$MODE" = "--swap-only" ]; then
  [ -n "$(wheel)" ] || exit 0
else
  if [ -z "$(wheel)" ]; then
    missing=""
    for p in cmake build-essential libopenblas-dev liblapack-dev; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
      if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
      else
        echo "missing Debian packages:$missing; run: sudo apt-get install -y$missing" >&2
        exit 1
      fi
    fi
    mkdir -p "$WHEELHOUSE"
    echo "building dlib $DLIB_VERSION against OpenBLAS for -march=$TARGET_CPU (about 9 minutes on 2 cores)"
    # dlib's setup.py turns DLIB_* variables into CMake options; no GUI means no libX11.
    CXXFLAGS="${CXXFLAGS:-} -march=$TARGET_CPU" DLIB_NO_GUI_SUPPORT=ON \
      "$PYTHON" -m pip wheel --no-deps --no-binary dlib --no-cache-dir "dlib==$DLIB_VERSION" -w "$WHEELHOUSE"
  fi
  [ "$MODE" = "--wheel-only" ] && exit 0
fi

"$UV" pip uninstall --no-config --python .venv dlib-bin >/dev/null 2>&1 || true
# --no-config: the project's override that keeps the dlib sdist out would also refuse this wheel.
"$UV" pip install --no-config --python .venv --no-deps --reinstall "$(wheel)"
.venv/bin/python -c "import dlib; print('dlib', dlib.__version__, 'BLAS' if dlib.DLIB_USE_BLAS else 'no BLAS', '-march=$TARGET_CPU')"
