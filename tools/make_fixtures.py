"""Regenerate every oracle fixture: runs each ``tools/make_fixtures_*.py``.

Run it with the interpreter of a venv that has real MXNet 1.9.1, from the
repository root::

    python3 -m venv .venv-ref && .venv-ref/bin/pip install "numpy<1.24" mxnet==1.9.1
    .venv-ref/bin/python tools/make_fixtures.py

Each script writes small files under ``tests/fixtures/`` that the tests
compare against, so the test suite never needs MXNet installed.
"""
import glob
import os
import subprocess
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    scripts = sorted(glob.glob(os.path.join(here, "make_fixtures_*.py")))
    # Run outside the repository root so `import mxnet` finds the oracle, not this package.
    env = dict(os.environ, PYTHONPATH="")
    for script in scripts:
        print(f"== {os.path.relpath(script, root)}", flush=True)
        subprocess.run([sys.executable, script], check=True, cwd=os.path.dirname(root), env=env)


if __name__ == "__main__":
    main()
