"""Masked replacements for the ``mask`` action.

Personal data keeps its shape: every letter and digit becomes ``*`` while
separators stay, so ``jane@example.com`` becomes ``****@*******.***``. Card
and bank account numbers keep their last four digits. Credentials are
replaced whole by ``[MASKED_<TYPE>]`` because their length and prefix can
help an attacker.
"""

from __future__ import annotations

from sluicegate.screening.entities import SECRET_TYPES, EntityType

_KEEP_LAST_FOUR = frozenset({EntityType.CREDIT_CARD, EntityType.US_BANK_ACCOUNT})


def mask_value(entity_type: EntityType, value: str) -> str:
    if entity_type in SECRET_TYPES:
        return f"[MASKED_{entity_type.value}]"

    keep_from = len(value)
    if entity_type in _KEEP_LAST_FOUR:
        digits_seen = 0
        for index in range(len(value) - 1, -1, -1):
            if value[index].isdigit():
                digits_seen += 1
                if digits_seen == 4:
                    keep_from = index
                    break

    masked = []
    for index, char in enumerate(value):
        if index >= keep_from or not char.isalnum():
            masked.append(char)
        else:
            masked.append("*")
    return "".join(masked)
