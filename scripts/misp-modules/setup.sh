#!/usr/bin/env bash
# Creates, or reuses, the virtualenv that runs the real misp-modules server (tests and demo).
#
#   scripts/misp-modules/setup.sh            # prints the venv path on its last stdout line
#
# The venv lives at ${MISP_MODULES_VENV:-<repo>/.cache/misp-modules/<first 12 hex of sha256(lock)>},
# so editing requirements.lock builds a fresh one next to the old. A marker file written after
# `pip check` passes is what "cached" means: a venv without it (an interrupted install) is rebuilt.
# Concurrent runs (two test runs, a demo) serialise on a flock next to the venv.
# Progress goes to stderr; stdout carries only the path. PYTHON picks the interpreter (python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lock="$here/requirements.lock"
python="${PYTHON:-python3}"

hash="$(sha256sum "$lock" | cut -c1-12)"
venv="${MISP_MODULES_VENV:-$root/.cache/misp-modules/$hash}"
marker="$venv/.setup-complete"

# The marker holds the lock hash, then the interpreter version: a new Python means a new venv.
py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
stamp="$(printf '%s\n%s' "$hash" "$py_version")"

is_ready() {
  [[ -f "$marker" && -x "$venv/bin/python" && "$(cat "$marker")" == "$stamp" ]]
}

if is_ready; then
  echo "$venv"
  exit 0
fi

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "misp-modules 3.1 needs Python >= 3.10; $python is $py_version" >&2
  exit 1
fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
# Another run may have finished the install while this one waited for the lock.
if is_ready; then
  echo "$venv"
  exit 0
fi

started=$SECONDS
echo "misp-modules: building $venv with $python $py_version" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
# --no-deps: the lock is the whole closure; --only-binary: never fall back to compiling an sdist.
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
  --no-deps --only-binary=:all: --progress-bar off -r "$lock" >&2
"$venv/bin/python" -m pip check >&2
"$venv/bin/python" -c 'import misp_modules, geoip2' >&2
printf '%s' "$stamp" >"$marker"
echo "misp-modules: ready in $((SECONDS - started)) s" >&2
echo "$venv"
