"""The bottom layer every other package may import: what people read (messages in their language, moments in
Warsaw time), the typed domain errors, and how a stored moment reads back. It imports no other package of the
project (docs/architecture.md)."""
