"""The CLI of each procedure: coop/procedures/<slug>.py for every procedure of the registry (states/procedures).

coop/procedures_cli.py imports them all (registering their commands on the `coop` app); the open call's module is
imported by coop/core_cli.py, which declares its groups, so that `coop --help` lists them where it always has.
Each module imports its domain handlers lazily (coop/cli.py: lazy_module), so `coop history` does not pay for them.
"""
