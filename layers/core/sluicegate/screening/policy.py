"""Per-tenant screening policy."""

from __future__ import annotations

from enum import Enum

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sluicegate.screening.entities import EntityType
from sluicegate.screening.recognizers.base import DEFAULT_PHONE_REGIONS, DetectionOptions


class Action(str, Enum):
    """What happens to a detected entity."""

    REDACT = "redact"  # replace with a numbered placeholder, restored in the answer
    MASK = "mask"  # replace with asterisks, never restored
    BLOCK = "block"  # reject the request with ScreeningBlockedError
    OFF = "off"  # do not detect this type


class InjectionAction(str, Enum):
    BLOCK = "block"  # reject messages scoring at or above the threshold
    FLAG = "flag"  # score and report, but let the message through
    OFF = "off"


class ScreeningPolicy(BaseModel):
    """A tenant's screening settings.

    ``entity_actions`` overrides ``default_action`` for single entity types.
    ``phone_regions`` are ISO 3166 region codes whose national number formats
    are recognised; numbers written with +CC or 00CC are recognised for every
    country.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_action: Action = Action.REDACT
    entity_actions: dict[EntityType, Action] = Field(default_factory=dict)
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    injection_action: InjectionAction = InjectionAction.BLOCK
    injection_threshold: float = Field(default=0.5, ge=0.0, le=1.0)

    @field_validator("phone_regions")
    @classmethod
    def _check_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        supported = phonenumbers.SUPPORTED_REGIONS
        normalized = tuple(region.upper() for region in regions)
        unknown = [region for region in normalized if region not in supported]
        if unknown:
            raise ValueError(
                f"unknown phone region codes {unknown}; use ISO 3166-1 alpha-2 codes such as 'US' or 'GB'"
            )
        return normalized

    def action_for(self, entity_type: EntityType) -> Action:
        return self.entity_actions.get(entity_type, self.default_action)

    def detection_options(self) -> DetectionOptions:
        enabled = frozenset(t for t in EntityType if self.action_for(t) is not Action.OFF)
        return DetectionOptions(phone_regions=self.phone_regions, enabled=enabled)
