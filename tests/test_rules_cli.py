"""``coop rules``: the versions, which one new cases take, and one version's settings (issue 17: ``coop rules
show`` without a version printed a traceback)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
from coop.cli import app
from states.rule_sets import DEFAULT_RULE_SET


def rules(db_url: str, *args: str, lang: str = "pl"):
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer", "COOP_LANG": lang,
           "COOP_NOW": None}
    result = CliRunner().invoke(app, ["rules", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_rules_show_without_a_version_shows_the_default(db_url):
    plain = rules(db_url, "show")
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.startswith(f"version: {DEFAULT_RULE_SET}\n")
    default = json.loads(rules(db_url, "show", "--json").stdout)
    named = json.loads(rules(db_url, "show", DEFAULT_RULE_SET, "--json").stdout)
    assert default == named
    assert default["version"] == DEFAULT_RULE_SET and default["open_call"]["min_offer_days"] == 21


def test_rules_list_marks_the_default(db_url):
    listed = json.loads(rules(db_url, "list", "--json").stdout)
    assert [(r["version"], r["default"]) for r in listed] == [(DEFAULT_RULE_SET, True)]


def test_an_unknown_version_is_refused_with_the_versions_available(db_url):
    result = rules(db_url, "show", "leszno-1999.1", lang="en")
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.startswith("error: No rule set “leszno-1999.1”; available: ") and DEFAULT_RULE_SET in result.stderr
