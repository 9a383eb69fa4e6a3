"""MkDocs hook: the parts of the site made at build time.

- ``spec/`` is mounted at ``spec/``: the spec pages are the files in ``spec/`` themselves,
  and the vector files are published beside them.
- Generated pages: the rule traceability page, one source view per file that cites a rule
  (with a line anchor ``#L-n`` on every line), and an API reference page per public module.
- Rule ids become links: a definition links to its traceability row, a mention to its
  definition. Links marked ``{.pending}`` point at pages later work adds: they show as plain
  text, marked "not written yet", until the page exists.
- Nav entries with a ``*`` are globs, expanded when the site is built, so pages added by
  later work appear without editing ``mkdocs.yml``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.structure.files import File, Files

TOOLS = Path(__file__).resolve().parents[1] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import sitegen  # noqa: E402
import traceability  # noqa: E402

API_PACKAGES = ("protocol", "reference_node")
MOUNTS = ("spec",)
_SKIP_PARTS = ("__pycache__", ".pytest_cache", ".ruff_cache")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)

# What on_files learnt for on_page_markdown in the same build (mkdocs hooks are modules).
_build: dict[str, object] = {}


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _mounted(root: Path) -> list[str]:
    """Return the repository paths of the files mounted into the site."""
    paths = []
    for mount in MOUNTS:
        for path in sorted((root / mount).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(
                part in _SKIP_PARTS or part.startswith(".") for part in relative.parts
            ):
                paths.append(relative.as_posix())
    return paths


def _api_pages(root: Path) -> dict[str, str]:
    modules = sitegen.api_modules(root, API_PACKAGES)
    pages = {}
    for module in modules:
        children = [m for m in modules if m.rpartition(".")[0] == module]
        pages[sitegen.api_page_path(module)] = sitegen.api_page(module, children)
    return pages


def on_config(config):
    """Expand the nav's glob entries against every page the site will have."""
    root = _root(config)
    docs = Path(config.docs_dir)
    pages = [p.relative_to(docs).as_posix() for p in docs.rglob("*.md")]
    pages += [p for p in _mounted(root) if p.endswith(".md")]
    pages += [sitegen.TRACEABILITY_PAGE, *_api_pages(root)]
    if config.nav:
        config.nav = sitegen.expand_nav(
            config.nav, lambda pattern: sitegen.glob_match(pattern, pages)
        )
    return config


def on_files(files: Files, config) -> Files:
    """Add the mounted spec files and the generated pages."""
    root = _root(config)
    mounted = _mounted(root)
    for path in mounted:
        files.append(
            File(path, str(root), config.site_dir, config.use_directory_urls),
        )
    trace = traceability.collect(root)
    titles = {}
    for path in mounted:
        if path.endswith(".md"):
            heading = _H1.search((root / path).read_text(encoding="utf-8"))
            titles[path] = heading.group(1) if heading else path
    vectors = [p for p in mounted if p.endswith(".json")]
    generated = {sitegen.TRACEABILITY_PAGE: sitegen.traceability_page(trace, titles, vectors)}
    generated.update(_api_pages(root))
    cited: dict[str, list] = {}
    for citation in (*trace.code, *trace.tests):
        rule = trace.rules.get(citation.id)
        cited.setdefault(citation.path, []).extend([rule] if rule else [])
    for path, rules in sorted(cited.items()):
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        generated[sitegen.source_page(path)] = sitegen.source_view(path, text, rules)
    for path, content in generated.items():
        files.append(File.generated(config, path, content=content))
    _build.clear()
    _build["rules"] = trace.rules
    _build["generated"] = set(generated)
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Link rule ids in every written page (generated pages make their own links)."""
    if page.file.src_uri in _build.get("generated", set()):
        return markdown
    source = page.file.src_uri
    markdown = sitegen.resolve_pending(
        markdown, source, lambda path: files.get_file_from_path(path) is not None
    )
    return sitegen.link_rules(markdown, source, _build.get("rules", {}))


def on_serve(server, config, builder):
    """Rebuild on changes to the spec and the code, not only to ``docs/``."""
    root = _root(config)
    for name in (*MOUNTS, *API_PACKAGES, "interop_tests", "tests"):
        if (root / name).is_dir():
            server.watch(str(root / name))
    return server
