#!/usr/bin/env bash
# Prints a Python 3.11+ whose sqlite3 can load extensions (SpatiaLite needs it). A pyenv build often
# cannot (stack-notes trap 1); Debian's /usr/bin/python3 can. $PYTHON, if set, is tried first.
set -euo pipefail
for py in ${PYTHON:-} /usr/bin/python3 python3.12 python3.11 python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  if "$py" -c 'import sqlite3, sys; assert sys.version_info >= (3, 11); assert hasattr(sqlite3.Connection, "enable_load_extension")' 2>/dev/null; then
    command -v "$py"; exit 0
  fi
done
cat >&2 <<MSG
No Python >= 3.11 with a loadable-extension sqlite3 was found, so SpatiaLite cannot work.
Debian/Ubuntu's own /usr/bin/python3 has it (apt-get install python3 python3-venv); a pyenv build usually
does not (rebuild it with PYTHON_CONFIGURE_OPTS=--enable-loadable-sqlite-extensions), or set PYTHON=/path.
MSG
exit 1
