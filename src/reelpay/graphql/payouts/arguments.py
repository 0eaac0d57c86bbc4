"""Descriptions of the Relay page arguments, shared by the lists of the money modules."""

FIRST = "The first N items after `after` (1 to 100; 20 when neither `first` nor `last` is given)."
AFTER = "A cursor from this list's `pageInfo.endCursor` or an edge: items after it."
LAST = "The last N items before `before` (1 to 100); not with `first`."
BEFORE = "A cursor from this list's `pageInfo.startCursor` or an edge: items before it."
