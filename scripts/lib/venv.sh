# Sourced by scripts/python-peers*.sh. ensure_venv LABEL VENV CHECK PIN...: reuses VENV when CHECK (Python code)
# runs in it, else creates it with every PIN in one pip call (so pip resolves the pins together). Returns 0 when the
# venv is usable, 1 otherwise, with a message naming LABEL.
ensure_venv() {
  local label=$1 venv=$2 check=$3
  shift 3
  local py="$venv/bin/python"
  if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
    return 0
  fi
  echo "$label: creating $venv with $*" >&2
  python3 -m venv "$venv" || { echo "$label: python3 -m venv failed" >&2; return 1; }
  # torch 2.13.0+cpu resolves from the machine's local wheel folder when present; otherwise pip takes PyPI's build.
  "$venv/bin/pip" install -q "$@" >&2 || { echo "$label: pip install failed" >&2; return 1; }
  "$py" -c "$check" >/dev/null 2>&1 || { echo "$label: installed packages do not import" >&2; return 1; }
}
