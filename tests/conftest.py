import sys
from pathlib import Path

# tools/ holds small helpers shared by the Makefile and the tests (e.g. booktoc)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
