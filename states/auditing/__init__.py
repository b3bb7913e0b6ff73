"""The auditor's tools: the history of a case (nested cases included), its export for verification outside
the engine, the compliance check, open data and the annual programme report. Everything here only reads."""
