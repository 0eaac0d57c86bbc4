"""The docs pane is complete: every type, field, argument, enum value and input field of the
schema carries a description (GraphiQL, codegen comments and the schema linter read them)."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

from reelpay.graphql.schema import schema

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(graphql_schema: GraphQLSchema) -> list[str]:
    """Schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`,
    `Input.field`) that have no description, or only whitespace, in schema order."""
    missing: list[str] = []

    def check(coordinate: str, description: str | None) -> None:
        if not (description or "").strip():
            missing.append(coordinate)

    for name, named in graphql_schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        check(name, named.description)
        missing.extend(_members(named))
    return missing


def _members(named: GraphQLNamedType) -> list[str]:
    found: list[str] = []
    if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
        for field_name, field in named.fields.items():
            if not (field.description or "").strip():
                found.append(f"{named.name}.{field_name}")
            for arg_name, arg in field.args.items():
                if not (arg.description or "").strip():
                    found.append(f"{named.name}.{field_name}({arg_name}:)")
    elif isinstance(named, GraphQLInputObjectType):
        for field_name, input_field in named.fields.items():
            if not (input_field.description or "").strip():
                found.append(f"{named.name}.{field_name}")
    elif isinstance(named, GraphQLEnumType):
        for value_name, value in named.values.items():
            if not (value.description or "").strip():
                found.append(f"{named.name}.{value_name}")
    return found


def test_every_part_of_the_schema_is_described() -> None:
    missing = undescribed(schema._schema)
    assert not missing, f"{len(missing)} schema coordinates lack a description:\n" + "\n".join(
        missing
    )


def test_the_check_finds_each_kind_of_gap() -> None:
    """The walk itself: a schema with one gap of each kind reports exactly those gaps."""
    from graphql import build_schema

    sdl = '''
    """Described."""
    type Query {
      """Described."""
      ok(
        """Described."""
        a: Int
      ): Int
      bare(b: Int, """Described.""" c: Int): Kind
      filter(f: Filter): Int
    }
    type Kind { x: Int }
    """Described."""
    enum Colour {
      """Described."""
      RED
      BLUE
    }
    """Described."""
    input Filter {
      """Described."""
      on: Boolean
      colour: Colour
    }
    scalar Blob
    '''
    assert undescribed(build_schema(sdl)) == [
        "Query.bare",
        "Query.bare(b:)",
        "Query.filter",
        "Query.filter(f:)",
        "Kind",
        "Kind.x",
        "Colour.BLUE",
        "Filter.colour",
        "Blob",
    ]
