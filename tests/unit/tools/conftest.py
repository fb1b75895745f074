"""Make tools/localcloud's `lc` package importable for its unit tests."""

import pathlib
import sys

TOOL_DIR = pathlib.Path(__file__).resolve().parents[3] / 'tools' / 'localcloud'
if str(TOOL_DIR) not in sys.path:
    sys.path.insert(0, str(TOOL_DIR))
