"""The documentation cannot rot: every ```python block of docs/**/*.md and of
README.md runs, every link between the pages points at a page that exists,
every page is in the site's navigation, and the site (with the API reference
generated from the docstrings) builds with ``mkdocs build --strict``.

The blocks of one page run in order in one namespace (a page is one
tutorial), in a fresh interpreter, inside a temporary directory: what a
page registers, seeds or writes does not leak into other tests. A block
preceded by the line ``<!-- no-test -->`` is shown but not run; use it
only for code that needs a network, a GPU or MPI.

``python tests/test_docs.py docs/PAGE.md`` runs one page, as the test does.
"""
import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
NO_TEST = "<!-- no-test -->"
_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_LINK = re.compile(r"\]\(([^)#\s]+\.md)(#[^)]*)?\)")


def doc_files():
    return sorted(glob.glob(os.path.join(DOCS, "**", "*.md"), recursive=True)) + \
        [os.path.join(ROOT, "README.md")]


def python_blocks(text):
    """``(first_line_number, source, runs)`` for each ```python block of ``text``;
    ``runs`` is False when the last non-blank line before the block is the
    no-test marker."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2).lower()
        start = i + 1
        i = start
        while i < len(lines) and lines[i].strip() != "```":
            i += 1
        if lang == "python":
            body = [ln[len(indent):] if ln.startswith(indent) else ln
                    for ln in lines[start:i]]
            before = [ln.strip() for ln in lines[:start - 1] if ln.strip()]
            runs = not (before and before[-1] == NO_TEST)
            blocks.append((start + 1, "\n".join(body) + "\n", runs))
        i += 1
    return blocks


def _rel(path):
    return os.path.relpath(path, ROOT)


def run_page(path):
    """Run the page's blocks in order in one namespace, in the current directory."""
    with open(path, encoding="utf-8") as f:
        blocks = python_blocks(f.read())
    namespace = {"__name__": "__doc_page__"}
    for line, source, runs in blocks:
        if runs:
            # Padding to the block's line makes tracebacks show the page's own lines.
            code = compile("\n" * (line - 1) + source, path, "exec")
            exec(code, namespace)


@pytest.mark.parametrize("path", doc_files(), ids=_rel)
def test_every_python_block_of_the_page_runs(path, tmp_path):
    with open(path, encoding="utf-8") as f:
        if not any(runs for _, _, runs in python_blocks(f.read())):
            return  # nothing to run: spare the interpreter start
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), path], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{_rel(path)} failed:\n{proc.stdout}\n{proc.stderr}"


@pytest.mark.parametrize("path", doc_files(), ids=_rel)
def test_links_between_pages_point_at_existing_pages(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    base = os.path.dirname(path)
    missing = [target for target, _ in _LINK.findall(text)
               if "://" not in target and not os.path.exists(os.path.join(base, target))]
    assert not missing, f"{_rel(path)} links to missing pages: {missing}"


def test_every_user_guide_page_has_code_that_runs():
    guides = ["index", "install", "getting_started", "migrating_from_mxnet", "performance",
              "engine", "symbol_and_hybridize", "distributed", "operators", "errors"]
    for name in guides:
        with open(os.path.join(ROOT, "docs", name + ".md"), encoding="utf-8") as f:
            assert any(runs for _, _, runs in python_blocks(f.read())), name


def test_every_page_is_in_the_site_navigation():
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as f:
        nav = set(re.findall(r":\s*(\S+\.md)\s*$", f.read(), re.MULTILINE))
    pages = {os.path.relpath(p, DOCS).replace(os.sep, "/")
             for p in glob.glob(os.path.join(DOCS, "**", "*.md"), recursive=True)}
    assert pages - nav == set(), "pages missing from mkdocs.yml's nav"
    assert nav - pages == set(), "mkdocs.yml's nav names pages that do not exist"


def test_the_site_builds_without_warnings(tmp_path):
    # The API reference renders every public docstring: a malformed one, a
    # reference to a moved object or a broken link fails here.
    for module in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason='the docs extra is not installed: pip install ".[docs]"')
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "-f", os.path.join(ROOT, "mkdocs.yml"), "-d", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    assert os.path.exists(tmp_path / "site" / "api" / "ndarray_ops" / "index.html")


def test_block_extraction_honours_the_language_and_the_no_test_marker():
    text = "\n".join([
        "intro", "```python", "a = 1", "```",
        "```", "not python", "```",
        NO_TEST, "", "```python", "needs_a_gpu()", "```",
        "- item", "  ```python", "  b = 2", "  ```"])
    assert python_blocks(text) == [(3, "a = 1\n", True), (11, "needs_a_gpu()\n", False),
                                   (15, "b = 2\n", True)]


if __name__ == "__main__":
    run_page(os.path.abspath(sys.argv[1]))
