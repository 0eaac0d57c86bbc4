"""The sandbox clock over GraphQL: `sandboxClock`, `advanceSandboxClock` and the extension that
reads the shared offset once per operation."""

from reelpay.graphql.sandbox.extension import SandboxTime
from reelpay.graphql.sandbox.mutations import SandboxMutations, SandboxQueries

__all__ = ["SandboxMutations", "SandboxQueries", "SandboxTime"]
