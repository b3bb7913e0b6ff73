"""Every table module, imported once, so the metadata (and the migrations) see the whole schema: the shared ones
below and each procedure's own (models/procedures/, found there, not listed)."""

import models.anchor_tables  # noqa: F401
import models.attachment_tables  # noqa: F401
import models.command_log  # noqa: F401
import models.filing_tables  # noqa: F401
import models.notification_tables  # noqa: F401
import models.offer_draft_tables  # noqa: F401
import models.password_reset_tables  # noqa: F401
import models.people_tables  # noqa: F401
import models.portal_tables  # noqa: F401
import models.public_comment_tables  # noqa: F401
import models.settings  # noqa: F401
import models.tables  # noqa: F401
from models import procedures

procedures.modules()
