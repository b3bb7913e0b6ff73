"""The words of the authorization matrix (states/authorization.py), light enough for a procedure's descriptor to
declare its own commands' entries with them (``Procedure.access``): the relations an actor must have to a case,
and the usual sets of roles.

- ``any``: the role is enough (a global grant: officer, auditor, administrator, scheduler; or the public);
- ``case``: a grant of the role for this very case (a committee member of call A does not act in call B);
- ``organisation``: the representative of the organisation the offer belongs to;
- ``filer``: the person who filed the case's application through the portal (its ``filed_by``), or a
  representative of the organisation it was filed for (a local initiative: residents file without any grant), or
  the portal account the officer named as the residents' representative (``local_initiatives.portal_representative``);
- ``owner``: a draft's owner: the representative of the organisation the command names (``organisation_krs``), or,
  when it names none (a group of residents' draft), the proven person themselves, whose own draft it reads or keeps.
"""

from __future__ import annotations

from states.actors import ROLES

ANY, CASE, ORGANISATION, FILER, OWNER = "any", "case", "organisation", "filer", "owner"
RELATIONS = (ANY, CASE, ORGANISATION, FILER, OWNER)

OFFICER = {"officer": ANY}
EVERYONE = {role: ANY for role in ROLES}  # read-only commands: what any person may see
WATCHERS = {"officer": ANY, "auditor": ANY, "scheduler": ANY}
AUDITORS = {"officer": ANY, "auditor": ANY}
COMMITTEE = {"officer": ANY, "committee_member": CASE}  # the officer may enter a member's paper protocol
# Anyone may comment (art. 19a ust. 4; a consultation's public): an auditor only reads, the scheduler only fires.
COMMENTERS = {"officer": ANY, "committee_member": ANY, "applicant": ANY, "public": ANY}
ADMINISTRATOR = {"administrator": ANY}
