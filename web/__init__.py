"""The web application: the officers' desk (issue 21) and, later, the organisations' portal (issue 22).

A door like the CLI and the flows: it authenticates the person, parses their input into the domain's pydantic
models and calls ``states.engine.execute``; form answers collected by Prefect flows are submitted into the
waiting flow run with the person's proof (states/form_proofs.py). It sits above ``flows/`` and below ``coop/``
(``coop serve`` starts it)."""
