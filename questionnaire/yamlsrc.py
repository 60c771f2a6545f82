"""YAML that remembers where it came from: every mapping and list knows its lines.

The bank's errors must name a line, so plain ``yaml.safe_load`` is not enough.
Mappings load as ``LineDict`` (the line of each key) and lists as ``LineList``
(the line of each item). Duplicate keys, which YAML would silently overwrite,
are reported instead.
"""

from __future__ import annotations

import gc

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses in C when present
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class LineDict(dict):
    """A mapping with ``line`` (where it starts) and ``key_lines`` (where each key is)."""

    line = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list with ``line`` (where it starts) and ``item_lines``."""

    line = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar -> resolved tag; bank files repeat them a lot


class _Loader(_Base):
    """Builds LineDict/LineList straight from the composed nodes.

    The stock constructor spends most of a large bank's load time in generic
    bookkeeping; walking the node tree directly keeps a 2,000-question bank fast.
    Scalars other than plain strings still go through the safe constructors.
    """

    problems: list[tuple[int, str]]

    # libyaml calls these back for every node; no path resolvers are registered, so the
    # answers below are what the stock methods return, minus most of the per-call cost.
    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = _Base.resolve(self, kind, value, implicit)
                if len(_PLAIN_TAGS) < 65536:
                    _PLAIN_TAGS[value] = tag
            return tag
        return _SEQ if kind is SequenceNode else _MAP

    def construct_document(self, node):
        return self._build(node, {})

    def _build(self, node, seen: dict):
        if isinstance(node, ScalarNode):
            return node.value if node.tag == _STR else self.construct_object(node, deep=True)
        if id(node) in seen:  # an alias: share what was built
            return seen[id(node)]
        line = node.start_mark.line + 1
        if isinstance(node, SequenceNode):
            items = LineList()
            seen[id(node)] = items
            items.line = line
            items.item_lines = [child.start_mark.line + 1 for child in node.value]
            items.extend(self._build(child, seen) for child in node.value)
            return items
        if not isinstance(node, MappingNode):
            return self.construct_object(node, deep=True)
        if any(key.tag == _MERGE for key, _ in node.value):
            self.flatten_mapping(node)
        result = LineDict()
        seen[id(node)] = result
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self._build(key_node, seen)
            key_line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                self.problems.append((key_line, "a key must be plain text"))
                continue
            if key in result:
                first = result.key_lines[key]
                self.problems.append((key_line, f"duplicate key {key!r} (first on line {first})"))
                continue
            result[key] = self._build(value_node, seen)
            result.key_lines[key] = key_line
        return result


def load(text: str) -> tuple[object, list[tuple[int, str]]]:
    """Parse YAML text; returns (data, [(line, problem), ...]) or raises YamlSyntaxError."""
    loader = _Loader(text)
    loader.problems = []
    # Loading makes ~40 objects a question and no cycles; the cyclic collector would
    # otherwise rescan the growing heap many times over (it doubled a 2,000-question load).
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = loader.get_single_data()
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
    return data, loader.problems
