"""A restriction the platform puts on one seller, stored on the seller's own item."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from chalicelib.models.common import Strict


class RestrictionMode(StrEnum):
    SUPPORT_ONLY = "support_only"


class RestrictionInput(Strict):
    """PUT /v1/sellers/{id}/restriction body."""

    mode: RestrictionMode
    note: str = Field(default="", max_length=500, description="Why; shown to support, never to the seller or buyers.")


class SellerRestriction(RestrictionInput):
    """As stored on the seller's own item (read by every resolution anyway) and as GET answers it."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)

    set_by: str
    set_at: datetime
