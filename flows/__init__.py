"""Prefect flows: the only code that imports prefect.

Importing any flow registers the domain's event subscribers (notifications/bootstrap.py): a flow run started in a
process of its own (a deployment's run, a served flow's subprocess) runs its commands with them too.
"""

from notifications.bootstrap import bootstrap

bootstrap()
