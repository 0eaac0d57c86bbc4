"""What switching between a personal and a pro (business) account changes. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reelpay.enums import AccountType


class ProFeature(StrEnum):
    """What a BUSINESS (pro) account has and a PERSONAL account does not."""

    PINNED_VIDEOS = "PINNED_VIDEOS"
    ADVANCED_ANALYTICS = "ADVANCED_ANALYTICS"
    WEBSITE_AND_CONTACT_EMAIL = "WEBSITE_AND_CONTACT_EMAIL"


PRO_FEATURES: tuple[ProFeature, ...] = tuple(ProFeature)


@dataclass(frozen=True)
class SwitchPreview:
    from_type: AccountType
    to_type: AccountType
    features_lost: tuple[ProFeature, ...]
    features_gained: tuple[ProFeature, ...]
    # Profile fields that hold a value now and will be erased by the switch.
    cleared_fields: tuple[str, ...]
    # Pins hidden by going PERSONAL, or shown again by going BUSINESS (in their saved order).
    pinned_video_ids: tuple[int, ...]


def preview_switch(
    current: AccountType,
    target: AccountType,
    *,
    website_url: str | None,
    contact_email: str | None,
    pinned_video_ids: tuple[int, ...],
) -> SwitchPreview:
    """Describe the switch from `current` to `target` without making it."""
    to_personal = current is AccountType.BUSINESS and target is AccountType.PERSONAL
    to_business = current is AccountType.PERSONAL and target is AccountType.BUSINESS
    cleared: tuple[str, ...] = ()
    if to_personal:
        cleared = tuple(
            name
            for name, value in (("websiteUrl", website_url), ("contactEmail", contact_email))
            if value
        )
    return SwitchPreview(
        from_type=current,
        to_type=target,
        features_lost=PRO_FEATURES if to_personal else (),
        features_gained=PRO_FEATURES if to_business else (),
        cleared_fields=cleared,
        pinned_video_ids=pinned_video_ids if (to_personal or to_business) else (),
    )
