# shellcheck shell=bash
# Sourced by scripts/test and scripts/dev: make sure .venv exists and holds this checkout,
# installed editable with its dev extra. Quick on rerun: a marker records the hash of
# pyproject.toml and the Python version the install was made from, and pip runs only when
# either changed (or the venv is missing or broken).

pantau_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pantau_venv="$pantau_root/.venv"

pantau_python_ok() {  # $1: interpreter; true if it runs and is Python 3.11 or newer
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

ensure_venv() {
    local python="${PANTAU_PYTHON:-python3}"
    local marker="$pantau_venv/.pantau-install"
    if [[ -x "$pantau_venv/bin/python" ]] && ! pantau_python_ok "$pantau_venv/bin/python"; then
        echo "scripts: $pantau_venv has a Python older than 3.11 or a broken one; recreating it" >&2
        rm -rf "$pantau_venv"
    fi
    if [[ ! -x "$pantau_venv/bin/python" ]]; then
        if ! command -v "$python" >/dev/null 2>&1 || ! pantau_python_ok "$python"; then
            echo "scripts: need Python 3.11+ as '$python' (set PANTAU_PYTHON to choose another)" >&2
            return 1
        fi
        echo "scripts: creating $pantau_venv with $("$python" --version 2>&1)" >&2
        "$python" -m venv "$pantau_venv"
    fi
    local want
    want="$(
        {
            sha256sum "$pantau_root/pyproject.toml" | cut -d' ' -f1
            "$pantau_venv/bin/python" -c 'import sys; print(sys.version)'
        } | sha256sum | cut -d' ' -f1
    )"
    if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]] \
        && "$pantau_venv/bin/python" -c 'import pantau' 2>/dev/null; then
        return 0
    fi
    echo "scripts: installing pantau and its dev tools into $pantau_venv" >&2
    rm -f "$marker"
    (cd "$pantau_root" && "$pantau_venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]")
    printf '%s\n' "$want" > "$marker"
}
