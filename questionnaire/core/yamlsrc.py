"""YAML that remembers where it came from: every mapping and list knows its lines.

The bank's errors must name a line, so plain ``yaml.safe_load`` is not enough.
Mappings load as ``LineDict`` (the line of each key) and lists as ``LineList``
(the line of each item). Duplicate keys, which YAML would silently overwrite,
are reported instead.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any, Protocol, cast

import yaml
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import Node, ScalarNode

if TYPE_CHECKING:
    _Base = yaml.SafeLoader
else:  # libyaml parses in C when present
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class LineDict(dict[Any, Any]):
    """A mapping with ``line`` (where it starts) and ``key_lines`` (where each key is)."""

    line = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list with ``line`` (where it starts) and ``item_lines``."""

    line = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# A file may describe at most this much, counting every value once for each place an
# alias (*name) repeats it: the bank's checks walk each repeat, so 4,000 sections each
# repeating one list of 4,000 questions (a 32 KB file) was 16 million questions to check.
# The shipped bank has 1,500 values (23 bytes each), the 2,000-question bench bank 85,000
# (8 bytes each): 2 MB of bank fits. Reading 250,000 numbers takes ~0.8 s and 100 MB.
MAX_VALUES = 250_000
# Nothing in a bank nests deeper than a dozen levels (show_if groups add two a level);
# the limit keeps every walk of the data far from Python's recursion limit.
MAX_DEPTH = 64


class _Loader(_Base):
    """libyaml's parser with the stock safe constructors for scalars. The tree is built
    from the parser's events by ``_Builder`` (below), not by PyYAML's recursive composer."""

    def __init__(self, text: str):
        super().__init__(text)
        # Plain scalar -> its resolved tag, for this file only: bank files repeat the same
        # values, and resolving each against PyYAML's patterns took ~15% of reading a
        # 2,000-question bank. It holds at most the file's MAX_VALUES and goes with the load.
        self.tags: dict[str, str] = {}

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        """A scalar's tag (only scalars are resolved here: see _Builder.scalar)."""
        if not implicit[0]:
            return _STR
        tag = self.tags.get(value)
        if tag is None:
            tag = self.tags[value] = _Base.resolve(self, kind, value, implicit)
        return tag


class _Events(Protocol):
    """The parser's side of a load as _Builder reads it. types-PyYAML leaves get_event
    unannotated; each event is one of yaml.events' kinds, told apart by isinstance."""

    def get_event(self) -> Any: ...

    def check_event(self, *choices: type[Any]) -> bool: ...


class _Open:
    """A mapping or list being built: what it holds so far and where it started."""

    __slots__ = ("anchor", "items", "key", "key_line", "line", "merges", "size", "is_map")

    def __init__(self, is_map: bool, line: int, anchor: str | None):
        self.is_map, self.line, self.anchor = is_map, line, anchor
        self.items: list[Any] = []  # list: values; mapping: (key, value, line) in order
        self.merges: list[LineDict] = []  # mappings merged in with '<<', in priority order
        self.key: object = _NO_KEY
        self.key_line = 0
        self.size = 1


_NO_KEY = object()
_MERGE_KEY = object()


class _Builder:
    """LineDict/LineList straight from libyaml's events, with an explicit stack.

    Building from events (rather than composing nodes, then walking them) keeps a
    2,000-question bank fast, and the stack lets depth and alias repeats be counted as
    the file is read, so a hostile file is stopped early with a line to point at.
    """

    def __init__(self, loader: _Loader):
        self.loader = loader
        self.events: _Events = loader
        self.problems: list[tuple[int, str]] = []
        self.anchors: dict[str, tuple[object, int]] = {}  # name -> (value, its size)
        self.values = 0

    def document(self) -> object:
        loader = self.events
        loader.get_event()  # StreamStart
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # DocumentStart
        data = self.node()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(StreamEndEvent):
            event = loader.get_event()
            raise YamlSyntaxError(
                event.start_mark.line + 1, "only one document is allowed (remove the '---')"
            )
        return data

    def node(self) -> object:
        stack: list[_Open] = []
        value: object
        while True:
            event = self.events.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise YamlSyntaxError(line, f"nested more than {MAX_DEPTH} levels deep")
                stack.append(_Open(isinstance(event, MappingStartEvent), line, event.anchor))
                continue
            if isinstance(event, MappingEndEvent | SequenceEndEvent):
                done = stack.pop()
                value, size, line = self.close(done), done.size, done.line
                if done.anchor is not None:
                    self.anchors[done.anchor] = (value, size)
                self.values += 1  # what it holds was counted as it came
            elif isinstance(event, AliasEvent):
                if event.anchor not in self.anchors:
                    raise YamlSyntaxError(line, f"unknown alias *{event.anchor}")
                value, size = self.anchors[event.anchor]
                self.values += size  # walked again wherever it is repeated
            else:  # a scalar
                value, size = self.scalar(event), 1
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, size)
                self.values += 1
            if self.values > MAX_VALUES:
                raise YamlSyntaxError(
                    line,
                    f"the file holds more than {MAX_VALUES:,} values, counting each repeat "
                    "of an alias (*name): make it smaller or use fewer aliases",
                )
            if not stack:
                return value
            self.add(stack[-1], value, size, line)

    def scalar(self, event: ScalarEvent) -> object:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return event.value
        if tag == _MERGE:
            return _MERGE_KEY
        mark = cast(Mark, event.start_mark)  # libyaml's own Mark type reads the same
        node = ScalarNode(tag, event.value, mark, mark, event.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            # A plain 2014-13-01 looks like a date and is not one (it was a traceback).
            # YAML 1.2 reads it as text, and so do we: a field that needs a date says so.
            return event.value

    def add(self, parent: _Open, value: object, size: int, line: int) -> None:
        parent.size += size
        if not parent.is_map:
            parent.items.append((value, line))
            return
        if parent.key is _NO_KEY:
            parent.key, parent.key_line = value, line
            return
        key, parent.key = parent.key, _NO_KEY
        if key is _MERGE_KEY:
            merged = value if isinstance(value, list) else [value]
            mappings = [m for m in merged if isinstance(m, LineDict)]
            if len(mappings) != len(merged):
                self.problems.append(
                    (parent.key_line, "'<<' must merge a mapping or a list of them")
                )
                return
            parent.merges.extend(mappings)
            return
        parent.items.append((key, value, parent.key_line))

    def close(self, done: _Open) -> LineDict | LineList:
        if not done.is_map:
            items = LineList(value for value, _ in done.items)
            items.line = done.line
            items.item_lines = [line for _, line in done.items]
            return items
        result = LineDict()
        result.line = done.line
        result.key_lines = {}
        for merged in done.merges:  # explicit keys win over merged ones, earlier merges over later
            for key, value in merged.items():
                if key not in result:
                    result[key] = value
                    result.key_lines[key] = merged.line_of(key)
        explicit: dict[Any, int] = {}
        for key, value, line in done.items:
            try:
                hash(key)
            except TypeError:
                self.problems.append((line, "a key must be plain text"))
                continue
            if key in explicit:
                self.problems.append(
                    (line, f"duplicate key {key!r} (first on line {explicit[key]})")
                )
                continue
            explicit[key] = line
            result[key] = value
            result.key_lines[key] = line
        return result


def load(text: str) -> tuple[object, list[tuple[int, str]]]:
    """Parse YAML text; returns (data, [(line, problem), ...]) or raises YamlSyntaxError."""
    loader = _Loader(text)
    builder = _Builder(loader)
    # Loading makes ~40 objects a question and no cycles; the cyclic collector would
    # otherwise rescan the growing heap many times over (it doubled a 2,000-question load).
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = builder.document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(line, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
    return data, builder.problems
