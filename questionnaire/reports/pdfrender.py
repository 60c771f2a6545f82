"""The PDF renderer's own process: HTML in, PDF out, through WeasyPrint.

``reports/workers.py`` runs this file as a script (``python -I pdfrender.py``) and
talks to it over stdin/stdout. It imports only the standard library, WeasyPrint and
defusedxml, never the web app, so it starts small; and because it is a separate process, a document
that takes too long or too much memory is killed without harming the web worker.

The only resources a report may load are ``data:`` URLs and files under the app's
``static/`` directory: buyer text is autoescaped before it gets here, and even if
markup slipped through, nothing could be fetched from the network or the disk and
nothing could be attached to the PDF.
"""

from __future__ import annotations

import gc
import json
import logging
import mimetypes
import os
import re
import resource
import struct
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

import cssselect2
import defusedxml.ElementTree
import pydyf
import weasyprint
import weasyprint.html
import weasyprint.pdf.fonts
from weasyprint.urls import URLFetcher, URLFetcherResponse

FRAME = struct.Struct(">I")  # every message is a 4-byte big-endian length, then the bytes
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
LINK_SCHEMES = ("http://", "https://", "mailto:")
WARM_HTML = """<!DOCTYPE html><html lang="en"><head><title>warm-up</title>
<link rel="stylesheet" href="report.css"/></head><body>
<h1>Warm-up</h1><p>Regular <strong>bold</strong> <em>oblique</em> “quotes” — ✓ 99.9%</p>
<table class="questions"><tbody><tr><td>1.1</td><td>Question</td><td>Commitment</td><td>Met</td>
</tr></tbody></table><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10" height="10"><rect width="5" height="5"/>
<text x="1" y="9">x</text></svg></body></html>"""


# The patches below reach into WeasyPrint's internals, so each is made only on the release
# line it was written for. On another release a patch is left out, plain WeasyPrint does
# that part of the work, and the process that started this one logs why (SKIPPED goes back
# with the "ready" reply). docs/performance.md says what stands in the way of an upgrade.
WEASYPRINT_VERSION = weasyprint.__version__
SKIPPED: list[str] = []


def written_for(major: int, patch: str, costs: str, version: str = WEASYPRINT_VERSION) -> bool:
    """Whether WeasyPrint ``version`` is of the release line ``major`` that ``patch`` was
    written for; if not, a warning saying what leaving it out ``costs`` joins SKIPPED."""
    if version.split(".", maxsplit=1)[0] == str(major):
        return True
    SKIPPED.append(
        f"WeasyPrint {version} is not the {major}.x that {patch} was written for: it is "
        f"left out, and plain WeasyPrint draws reports ({costs})"
    )
    return False


OPEN_ARRAYS = written_for(70, "the font subsetting patch", "about 0.1 s more a render")
SCOPED_UA = written_for(70, "the scoped UA stylesheet", "about 4,500 more styles a render")
XML_PARSING = written_for(70, "the XML parsing of reports", "about 85 ms more a render")
TABLE_SCOPES = written_for(
    70, "the /Scope finisher", "table header cells have no /Scope, which PDF/UA checkers flag"
)

FIXED_ARRAY = re.compile(r"(\w+)\[\d+\]")


class OpenArrays:
    """cffi's ``ffi`` with ``new("T[N]", items)`` turned into ``new("T[]", items)``.

    WeasyPrint 70 subsets fonts with ``ffi.new(f"hb_codepoint_t[{len(glyphs)}]", ...)``:
    a new C type for every glyph count, and cffi parses each new type with pycparser
    (about 20 ms). Every report has other counts, so that was ~0.1 s a render. The open
    array type is parsed once and allocates the same memory.
    """

    def __init__(self, ffi):
        self._ffi = ffi

    def new(self, cdecl, init=None):
        match = FIXED_ARRAY.fullmatch(cdecl) if init is not None else None
        if match:
            return self._ffi.new(f"{match[1]}[]", init)
        return self._ffi.new(cdecl, init)

    def __getattr__(self, name):
        return getattr(self._ffi, name)


if OPEN_ARRAYS:
    weasyprint.pdf.fonts.ffi = OpenArrays(weasyprint.pdf.fonts.ffi)


def scoped_ua_stylesheet() -> weasyprint.CSS:
    """WeasyPrint's own HTML stylesheet with its universal pseudo-element rules scoped.

    ``::marker`` and the five ``::footnote-*``/``::note-*`` rules match every element,
    so WeasyPrint computes six extra styles per element (about 4,500 for a report) that
    only list items and footnotes use. Reports have lists but no footnotes.
    """
    text = re.sub(r"^::marker", "li::marker", weasyprint.html.UA, flags=re.M)
    text = re.sub(r"^::(footnote|note)", r"[data-footnote]::\1", text, flags=re.M)
    return weasyprint.CSS(string=text, counter_style=weasyprint.html.UA_COUNTER_STYLE)


UA_STYLESHEET = scoped_ua_stylesheet() if SCOPED_UA else None


class ReportHTML(weasyprint.HTML):
    """A report, parsed as XML when it is well-formed XML.

    The report template writes markup that HTML and XML parsers read into the same tree
    (``tests/reports/test_report.py`` compares them): ``<!DOCTYPE html>``, closed void
    elements, explicit ``<tbody>``, ``xmlns`` on inline SVG. Python's expat then parses
    a report in ~3 ms where WeasyPrint's pure-Python HTML5 parser takes ~90 ms. Anything
    that is not well-formed XML (a control character written as an escape in the bank's
    YAML, say; buyers' text is cleaned of them) goes to the HTML5 parser as before.

    Expat is called through defusedxml, which refuses entity declarations and external
    references: the report's doctype has no internal subset and buyer text is escaped
    before it gets here, so a report holding one has gone wrong somewhere, and it goes to
    the HTML5 parser, which expands no entities, instead.
    """

    def __init__(self, string: str, base_url: str, url_fetcher: URLFetcher):
        root = xml_root(string) if XML_PARSING else None
        if root is None:
            super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
            return
        # What weasyprint.HTML.__init__ sets, from the XML tree (reports have no <base>).
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, *args, **kwargs):
        if UA_STYLESHEET is None:
            return super()._ua_stylesheets(*args, **kwargs)
        return [UA_STYLESHEET]


def xml_root(string: str):
    """The report's tree when it is well-formed XML with no entity declarations, else None."""
    try:
        return defusedxml.ElementTree.fromstring(string)
    except (ParseError, defusedxml.DefusedXmlException):
        return None


class SafeFetcher(URLFetcher):
    """Fetches ``data:`` URLs and files under ``static_dir``; refuses everything else."""

    def __init__(self, static_dir: str):
        super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)
        self.static_dir = Path(static_dir).resolve()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)  # urllib's DataHandler: decoded in memory
        path = self.static_file(url) if scheme == "file" else None
        if path is None:
            self.refused.append(url[:200])
            raise ValueError(
                f"refused {url[:200]!r}: reports load only data: URLs and static files"
            )
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def static_file(self, url: str) -> Path | None:
        """The file a ``file:`` URL names, if it is inside the static directory (symlinks
        resolved first, so a link cannot lead out of it)."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if path.is_relative_to(self.static_dir) and path.is_file():
            return path
        return None


class LogCapture(logging.Handler):
    """WeasyPrint's warnings go back to the web process with the PDF, to be logged there."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage()[:500])


def safe_link(link: tuple) -> bool:
    kind, target = link[0], link[1]
    if kind == "internal":
        return True
    return kind == "external" and str(target).lower().startswith(LINK_SCHEMES)


def scope_header_cells(document, pdf: pydyf.PDF) -> None:
    """Give every table header cell a /Scope, which PDF/UA checkers look for and
    WeasyPrint 70 does not write: /Column where the cell's row holds header cells only
    (a <thead> row), else /Row (a <th scope="row"> beside data cells). A WeasyPrint
    finisher: it runs on the PDF's objects before they are written."""
    elements = {
        obj.reference: obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem"
    }
    for cell in elements.values():
        if cell.get("S") != "/TH":
            continue
        row = elements.get(cell.get("P"))
        kids = [elements[kid] for kid in row["K"] if kid in elements] if row else [cell]
        scope = "/Column" if all(kid.get("S") == "/TH" for kid in kids) else "/Row"
        attributes = cell.get("A")
        if not isinstance(attributes, pydyf.Dictionary):
            attributes = cell["A"] = pydyf.Dictionary({"O": "/Table"})
        attributes["Scope"] = scope


def render_pdf(html: str, base_url: str, fetcher: SafeFetcher) -> bytes:
    document = ReportHTML(string=html, base_url=base_url, url_fetcher=fetcher).render(**PDF_OPTIONS)
    # Whatever the markup says, a report carries no embedded files, and no links other
    # than web, mail and in-document ones (a javascript: link is an action some viewers run).
    document.metadata.attachments = []
    for page in document.pages:
        page.links[:] = [link for link in page.links if safe_link(link)]
    finisher = scope_header_cells if TABLE_SCOPES else None
    return document.write_pdf(finisher=finisher, **PDF_OPTIONS)


def peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def read_frame(stream) -> bytes | None:
    head = stream.read(FRAME.size)
    if len(head) < FRAME.size:
        return None  # the web process has gone: stop
    (size,) = FRAME.unpack(head)
    return stream.read(size)


def write_frame(stream, payload: bytes) -> None:
    stream.write(FRAME.pack(len(payload)) + payload)


def reply(stream, header: dict, body: bytes = b"") -> None:
    write_frame(stream, json.dumps(header).encode())
    write_frame(stream, body)
    stream.flush()


def limit_memory(megabytes: int) -> None:
    """A runaway document fails with MemoryError (and the worker is replaced) instead of
    pushing the machine into swap."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def handle(
    request: dict, static_dir: str, base_url: str, capture: LogCapture
) -> tuple[dict, bytes]:
    """One render: the reply's header and the PDF (empty on failure)."""
    fetcher = SafeFetcher(static_dir)
    capture.messages.clear()
    started = time.perf_counter()
    # A render makes many short-lived objects and few cycles: one collection after the
    # reply is cheaper than the collector running again and again during layout.
    gc.disable()
    try:
        pdf = render_pdf(request["html"], base_url, fetcher)
    except MemoryError:
        # The heap may be in a bad state: this worker stops and the web process starts another.
        return {"ok": False, "fatal": True, "error": "the report needed too much memory"}, b""
    except Exception as exc:  # reported by the web process; this worker can go on
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000]}, b""
    header = {
        "ok": True,
        "seconds": time.perf_counter() - started,
        "peak_rss_kb": peak_rss_kb(),
        "refused": fetcher.refused,
        "log": list(capture.messages),
    }
    return header, pdf


def serve(static_dir: str, memory_mb: int) -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the frames
    capture = LogCapture()
    weasyprint.LOGGER.addHandler(capture)
    weasyprint.LOGGER.propagate = False
    base_url = Path(static_dir).resolve().as_uri() + "/"
    # Load fonts, fontconfig's cache and the stylesheet once, before the first real report.
    render_pdf(WARM_HTML, base_url, SafeFetcher(static_dir))
    limit_memory(memory_mb)
    # Objects alive now live for the whole process; keeping them out of the collector's
    # generations makes each later collection cheaper.
    gc.collect()
    gc.freeze()
    ready = {"ready": True, "pid": os.getpid(), "peak_rss_kb": peak_rss_kb(), "log": SKIPPED}
    reply(stdout, ready)
    while (frame := read_frame(stdin)) is not None:
        header, pdf = handle(json.loads(frame), static_dir, base_url, capture)
        reply(stdout, header, pdf)
        gc.enable()
        gc.collect()
        if header.get("fatal"):
            return


if __name__ == "__main__":
    try:
        serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    except BrokenPipeError:
        # The web process that started this worker has gone (a gunicorn worker killed or
        # recycled): nobody is left to reply to, which is no error of ours.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115  kept open to exit; also silences the failed flush at exit
        sys.exit(0)
