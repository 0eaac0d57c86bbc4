"""What a document would cost, measured before it runs, in time linear in its size.

Three numbers per operation, each with fragments expanded in place as execution would:
- `depth`: how many fields deep the deepest field sits (root fields are depth 0);
- `selections`: how many fields it selects in all (a fragment spread twice counts twice);
- `nodes`: how many list items it could return (GitHub's rule): each connection counts its page
  size (`first`/`last`, or the default) and each list field with a list argument (`nodes(ids:)`)
  that argument's length, times the sizes of every such field around it;
- `nesting`: how deep fragments spread fragments that spread fragments.

A fragment is measured once, whatever the number of spreads: a document whose fragments each
spread the next one twice costs as many steps as it has fragments, not 2^n. Walks use explicit
stacks, so deeply nested documents cannot exhaust Python's recursion limit. Fragment cycles
(invalid anyway: graphql-core reports them) count as empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast,
)
from graphql.pyutils import Undefined


@dataclass
class Cost:
    """The cost of one definition (an operation or a fragment), fragments expanded."""

    depth: int = -1  # of its deepest field, relative to its own top level; -1: no field
    selections: int = 0
    nodes: int = 0
    nesting: int = 0  # of fragments within fragments


@dataclass
class _Walk:
    """The definition being measured, and the fragments it spreads (measured first)."""

    cost: Cost = field(default_factory=Cost)
    spreads: list[str] = field(default_factory=list)


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    default_page_size: int,
) -> list[tuple[OperationDefinitionNode, Cost]]:
    """The cost of every operation of `document` (pairs: a node's hash walks its subtree)."""
    return _Measure(schema, document, variables or {}, default_page_size).operations()


class _Measure:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.variables = dict(variables)
        self.default_page_size = default_page_size
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        self.operation_nodes: list[OperationDefinitionNode] = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
            elif isinstance(definition, OperationDefinitionNode):
                self.operation_nodes.append(definition)
        self.costs: dict[str, Cost] = {}

    def operations(self) -> list[tuple[OperationDefinitionNode, Cost]]:
        self._measure_fragments()
        result = []
        for operation in self.operation_nodes:
            root = self.schema.get_root_type(operation.operation)
            result.append((operation, self._walk(operation.selection_set, root, self.costs)))
        return result

    def _measure_fragments(self) -> None:
        """Every fragment once, each after the fragments it spreads (Kahn's algorithm)."""
        spreads = {name: set(_spread_names(f.selection_set)) for name, f in self.fragments.items()}
        waiting_on = {
            name: {s for s in names if s in self.fragments} for name, names in spreads.items()
        }
        needed_by: dict[str, list[str]] = {name: [] for name in self.fragments}
        for name, names in waiting_on.items():
            for spread in names:
                needed_by[spread].append(name)
        ready = [name for name, names in waiting_on.items() if not names]
        while ready:
            name = ready.pop()
            fragment = self.fragments[name]
            kind = self.schema.get_type(fragment.type_condition.name.value)
            self.costs[name] = self._walk(fragment.selection_set, kind, self.costs)
            for dependant in needed_by[name]:
                waiting_on[dependant].discard(name)
                if not waiting_on[dependant]:
                    ready.append(dependant)
        # What is left spreads itself, through a cycle: it counts as empty.

    def _walk(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        fragment_costs: Mapping[str, Cost],
    ) -> Cost:
        cost = Cost()
        # (selections, their parent type, the depth of a field among them, list multiplier)
        stack: list[tuple[SelectionSetNode, GraphQLNamedType | None, int, int]] = [
            (selection_set, parent, 0, 1)
        ]
        while stack:
            selections, kind, depth, multiplier = stack.pop()
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    cost.selections += 1
                    name = selection.name.value
                    if name.startswith("__"):
                        continue  # introspection: neither deep nor a list of our data
                    cost.depth = max(cost.depth, depth)
                    child, size = self._field(selection, kind)
                    if size is not None:
                        cost.nodes += multiplier * size
                    if selection.selection_set is not None:
                        inner = multiplier * size if size is not None else multiplier
                        stack.append((selection.selection_set, child, depth + 1, inner))
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner_kind = self.schema.get_type(condition.name.value) if condition else kind
                    stack.append((selection.selection_set, inner_kind, depth, multiplier))
                elif isinstance(selection, FragmentSpreadNode):
                    spread = fragment_costs.get(selection.name.value)
                    if spread is not None:
                        cost.selections += spread.selections
                        cost.nodes += multiplier * spread.nodes
                        cost.nesting = max(cost.nesting, 1 + spread.nesting)
                        if spread.depth >= 0:
                            cost.depth = max(cost.depth, depth + spread.depth)
        return cost

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType | None
    ) -> tuple[GraphQLNamedType | None, int | None]:
        """The field's type, and how many items it may return if it is a list we count."""
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None, None
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return None, None
        kind = get_named_type(definition.type)
        if kind.name.endswith("Connection"):
            sizes = [
                value
                for name, value in self._arguments(node, definition)
                if name in ("first", "last") and isinstance(value, int)
            ]
            return kind, max([max(size, 0) for size in sizes], default=self.default_page_size)
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if isinstance(field_type, GraphQLList):
            lengths = [
                len(value)
                for _, value in self._arguments(node, definition)
                if isinstance(value, list)
            ]
            if lengths:
                return kind, max(lengths)
        return kind, None

    def _arguments(self, node: FieldNode, definition: Any) -> Iterator[tuple[str, Any]]:
        for argument in node.arguments or ():
            arg_def = definition.args.get(argument.name.value)
            if arg_def is None:
                continue
            value = value_from_ast(argument.value, arg_def.type, self.variables)
            if value is not Undefined:
                yield argument.name.value, value


def root_field_count(document: DocumentNode, operation: OperationDefinitionNode, name: str) -> int:
    """How many times `operation` runs root field `name` (aliases and fragments included).

    Call it once the fragment nesting is known to be bounded; a cycle counts as empty."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}

    def count(selection_set: SelectionSetNode, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += selection.name.value == name
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                if spread in seen or spread not in fragments:
                    continue
                if spread not in counted:
                    counted[spread] = count(fragments[spread].selection_set, seen | {spread})
                total += counted[spread]
        return total

    return count(operation.selection_set, frozenset())


def _spread_names(selection_set: SelectionSetNode) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                stack.append(selection.selection_set)
