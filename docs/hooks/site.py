"""MkDocs hook: the parts of the site made at build time.

- ``spec/`` is mounted at ``spec/``: the spec pages are the files in ``spec/`` themselves,
  and the vector files are published beside them.
- Generated pages: the rule traceability page, one source view per file that cites a rule
  (with a line anchor ``#L-n`` on every line), and an API reference page per public module.
- Rule ids become links: a definition links to its traceability row, a mention to its
  definition. Links marked ``{.pending}`` point at pages later work adds: they show as plain
  text, marked "not written yet", until the page exists.
- Links written relative to a page's place in the repository (``../../spec/x.md`` from
  ``docs/interop/a.md``, right on a repository browser) are pointed at the site; markdown
  files outside ``docs/`` and ``spec/`` that pages link to become pages, other files source
  views.
- Nav entries with a ``*`` are globs, expanded when the site is built, so pages added by
  later work appear without editing ``mkdocs.yml``.
"""

from __future__ import annotations

import posixpath
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
    # After the plugins' own on_config, so every Markdown instance of the build gets it.
    config.markdown_extensions.append(sitegen.StrictReferences())
    if config.nav:
        config.nav = sitegen.expand_nav(
            config.nav, lambda pattern: sitegen.glob_match(pattern, pages)
        )
    return config


def on_startup(command, dirty):
    """Before any plugin reads its configuration: the tree the API reader imports from."""
    _make_api_namespace(Path(__file__).resolve().parents[2])


def _make_api_namespace(root: Path) -> None:
    """Make the tree mkdocstrings reads ``bluezone.<folder>`` from (its ``paths`` option).

    The distribution maps the repository's folders under ``bluezone`` (pyproject.toml); the
    API reader finds modules on paths, so it gets a directory whose ``bluezone/`` links to
    the folders, the same tree a wheel installs.
    """
    tree = root / "build" / "api-namespace"
    package = tree / sitegen.NAMESPACE
    package.mkdir(parents=True, exist_ok=True)
    for folder in (*API_PACKAGES, "interop_tests"):
        link = package / folder
        if not link.is_symlink():
            link.symlink_to(root / folder, target_is_directory=True)


def _locator(root: Path, docs_prefix: str):
    """Return the function mapping a repository path to its site path (or None)."""

    def locate(repo_path: str) -> str | None:
        target = root / repo_path
        if repo_path.startswith(docs_prefix + "/"):
            return repo_path[len(docs_prefix) + 1 :] if target.is_file() else None
        if target.is_dir():
            for name in ("README.md", "index.md"):
                if (target / name).is_file():
                    return locate(f"{repo_path}/{name}")
            return None
        if not target.is_file() or any(part in _SKIP_PARTS for part in target.parts):
            return None
        if repo_path.endswith(".md") or repo_path.split("/")[0] in MOUNTS:
            return repo_path
        try:
            target.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return None  # binary: no page can show it
        return sitegen.source_page(repo_path)

    return locate


def _linked_repo_files(
    root: Path, pages: dict[str, str], locate, docs_prefix: str
) -> tuple[set, set]:
    """Return the markdown pages and source files outside the site that pages link to.

    ``pages`` maps the repository path of each page to its text; linked markdown pages are
    followed in turn.
    """
    markdown, sources = set(), set()
    queue = list(pages.items())
    while queue:
        repo_page, text = queue.pop()
        for target in sitegen.link_targets(text):
            path = target.partition("#")[0]
            if not path or re.match(r"^([a-z][a-z0-9+.-]*:|/)", path):
                continue
            repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(repo_page), path))
            if repo_path.startswith(("../", docs_prefix + "/")):
                continue  # outside the repository, or a page of the site already
            site = locate(repo_path)
            if site is None:
                continue
            if site.startswith(sitegen.SOURCE_DIR + "/"):
                sources.add(repo_path)
            elif site.endswith(".md") and site not in pages and site not in markdown:
                markdown.add(site)
                queue.append((site, (root / site).read_text(encoding="utf-8")))
    return markdown, sources


def on_files(files: Files, config) -> Files:
    """Add the mounted spec files, the repository files pages link to, and generated pages."""
    root = _root(config)
    docs_prefix = Path(config.docs_dir).resolve().relative_to(root).as_posix()
    locate = _locator(root, docs_prefix)
    mounted = _mounted(root)
    pages = {
        f"{docs_prefix}/{f.src_uri}": Path(f.abs_src_path).read_text(encoding="utf-8")
        for f in files.documentation_pages()
    }
    pages.update({p: (root / p).read_text(encoding="utf-8") for p in mounted if p.endswith(".md")})
    linked_pages, linked_sources = _linked_repo_files(root, pages, locate, docs_prefix)
    for path in [*mounted, *sorted(linked_pages)]:
        files.append(File(path, str(root), config.site_dir, config.use_directory_urls))

    trace = traceability.collect(root)
    titles = {}
    for path in mounted:
        if path.endswith(".md"):
            heading = _H1.search((root / path).read_text(encoding="utf-8"))
            titles[path] = heading.group(1) if heading else path
    vectors = [p for p in mounted if p.endswith(".json")]
    generated = {sitegen.TRACEABILITY_PAGE: sitegen.traceability_page(trace, titles, vectors)}
    generated.update(_api_pages(root))
    cited: dict[str, list] = {path: [] for path in linked_sources}
    for citation in (*trace.code, *trace.tests):
        rule = trace.rules.get(citation.id)
        cited.setdefault(citation.path, []).extend([rule] if rule else [])
    for path, rules in sorted(cited.items()):
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        generated[sitegen.source_page(path)] = sitegen.source_view(path, text, rules)
    for path, content in generated.items():
        files.append(File.generated(config, path, content=content))
    _build.clear()
    _build.update(
        rules=trace.rules,
        generated=set(generated),
        repo_pages={p for p in pages if not p.startswith(docs_prefix + "/")} | linked_pages,
        docs_prefix=docs_prefix,
        locate=locate,
    )
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Point repository-relative links at the site, resolve pending links, link rule ids."""
    source = page.file.src_uri
    if source in _build["generated"]:
        return markdown  # generated pages write their links themselves
    in_repo = source if source in _build["repo_pages"] else f"{_build['docs_prefix']}/{source}"
    markdown = sitegen.rewrite_links(markdown, source, in_repo, _build["locate"])
    markdown = sitegen.resolve_pending(
        markdown, source, lambda path: files.get_file_from_path(path) is not None
    )
    return sitegen.link_rules(markdown, source, _build["rules"])


def on_page_content(html: str, page, config, files) -> str:
    """Link rule ids in the docstrings rendered on API reference pages."""
    if not page.file.src_uri.startswith(sitegen.API_DIR + "/"):
        return html
    base = page.url if config.use_directory_urls else posixpath.dirname(page.url)

    def url_for(rule) -> str:
        target = files.get_file_from_path(rule.path).url
        link = posixpath.relpath(target or ".", base or ".")
        return f"{link}{'/' if target.endswith('/') else ''}#{rule.id}"

    return sitegen.link_rules_html(html, _build["rules"], url_for)


def on_serve(server, config, builder):
    """Rebuild on changes to the spec and the code, not only to ``docs/``."""
    root = _root(config)
    for name in (*MOUNTS, *API_PACKAGES, "interop_tests", "tests"):
        if (root / name).is_dir():
            server.watch(str(root / name))
    return server
