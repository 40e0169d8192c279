"""The size of a GraphQL document, measured on its syntax tree before validation (pure).

Validation's overlapping-fields rule compares every pair of fields that share a response
name in one selection set, and the pairs of their subfields in turn, so its time grows with
the square of the repeats (a 10 KB document repeating one field ~490 times took 3 s). Two
figures bound it: the fields of the document, each fragment counted wherever it is spread,
and the most fields sharing one response name in one selection set, fragments flattened into
it as validation sees them. Nothing here trusts the document: unknown fragments count as
empty, a fragment cycle stops its own walk, and nesting past `MAX_NESTING` is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

# Far beyond any depth the depth limit lets run; walking deeper is refused, not recursed.
MAX_NESTING = 64


class DocumentShapeError(ValueError):
    """The document nests selections or fragments too deeply to be measured."""


@dataclass(frozen=True, slots=True)
class DocumentSize:
    """Fields of a document, and its most repeated response name in one selection set."""

    fields: int
    repeated_name: str
    repeats: int


def measure_document(document: DocumentNode) -> DocumentSize:
    """Measure `document` (DocumentShapeError if it nests too deeply to measure)."""
    walk = _Walk(
        {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    )
    total = sum(
        walk.count(d.selection_set, 0)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
    # Fragments no operation uses are validated all the same, so they count once each.
    unused = [name for name in walk.fragments if name not in walk.counts]
    total += sum(walk.fragment_count(name, 0) for name in unused)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            walk.repeats_within(definition.selection_set, 0)
    return DocumentSize(total, walk.repeated_name, walk.repeats)


def _too_deep() -> DocumentShapeError:
    return DocumentShapeError(f"selections or fragments nest more than {MAX_NESTING} deep")


@dataclass
class _Walk:
    fragments: dict[str, FragmentDefinitionNode]
    counts: dict[str, int] = field(default_factory=dict)
    names: dict[str, Counter[str]] = field(default_factory=dict)
    visiting: set[str] = field(default_factory=set)
    repeated_name: str = ""
    repeats: int = 0

    def count(self, selection_set: SelectionSetNode | None, depth: int) -> int:
        """Fields under `selection_set`, fragments expanded."""
        if selection_set is None:
            return 0
        if depth > MAX_NESTING:
            raise _too_deep()
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += 1 + self.count(selection.selection_set, depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                total += self.count(selection.selection_set, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment_count(selection.name.value, depth + 1)
        return total

    def fragment_count(self, name: str, depth: int) -> int:
        known = self.counts.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:  # unknown or cyclic: validation refuses it
            return 0
        self.visiting.add(name)
        try:
            count = self.count(fragment.selection_set, depth)
        finally:
            self.visiting.discard(name)
        self.counts[name] = count
        return count

    def repeats_within(self, selection_set: SelectionSetNode | None, depth: int) -> None:
        """Record the most repeated response name of this set and of every set below it."""
        if selection_set is None:
            return
        if depth > MAX_NESTING:
            raise _too_deep()
        names = self.flattened(selection_set, depth)
        if names:
            name, repeats = names.most_common(1)[0]
            if repeats > self.repeats:
                self.repeated_name, self.repeats = name, repeats
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode | InlineFragmentNode):
                self.repeats_within(selection.selection_set, depth + 1)

    def flattened(self, selection_set: SelectionSetNode, depth: int) -> Counter[str]:
        """Response names of a set's fields, its fragments' fields included."""
        if depth > MAX_NESTING:
            raise _too_deep()
        names: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                names.update(self.flattened(selection.selection_set, depth + 1))
            elif isinstance(selection, FragmentSpreadNode):
                names.update(self.fragment_names(selection.name.value, depth + 1))
        return names

    def fragment_names(self, name: str, depth: int) -> Counter[str]:
        known = self.names.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return Counter()
        self.visiting.add(name)
        try:
            names = self.flattened(fragment.selection_set, depth)
        finally:
            self.visiting.discard(name)
        self.names[name] = names
        return names
