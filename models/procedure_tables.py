"""Tables of the small grant, local initiative, regranting and consultation procedures."""
