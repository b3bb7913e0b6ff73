"""Tables of the notifications layer: the outbox and publication records."""
