"""Email, IP and MAC address recognizers."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from stdnum import mac as stdnum_mac

from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.recognizers.base import DetectionOptions

# Local part: letters, digits and . _ % + - (no leading dot). Domain: labels of
# letters, digits and hyphens, ending in an alphabetic TLD or a punycode label,
# or the bare host name localhost.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])"
    r"[^\W.][\w.%+\-]{0,63}"
    r"@"
    r"(?:"
    r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9\-]{2,59})"
    r"|localhost"
    r")"
    r"(?![\w\-]|\.[^\W_])",
    re.IGNORECASE,
)


def find_emails(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _EMAIL.finditer(text):
        local = match.group().partition("@")[0]
        if local.endswith(".") or ".." in local:
            continue
        yield Candidate(EntityType.EMAIL_ADDRESS, match.start(), match.end(), 1.0)


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w]|\.\w|-\w)")
# Words that mark a dotted quad as a software version rather than an address.
_VERSION_BEFORE = re.compile(
    r"(?:\bv|\bver\.?|\bversion|\brelease|\bbuild|\bfirmware|\bupdate|\bupgrade|\bpatch|"
    r"\brev(?:ision)?|==|>=|<=|~=|@)(?:\W{1,3}to)?\W{0,3}$",
    re.IGNORECASE,
)
_IPV6 = re.compile(
    r"(?<![\w:.])"
    r"(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})"
    r"(?:%[\w.]+)?"
    r"(?![\w:])",
    re.IGNORECASE,
)


def find_ip_addresses(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    if "." in text:
        for match in _IPV4.finditer(text):
            address = match.group().partition("/")[0]
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                continue
            if _VERSION_BEFORE.search(text, max(0, match.start() - 20), match.start()):
                continue
            yield Candidate(EntityType.IP_ADDRESS, match.start(), match.end(), 0.95)
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            value = match.group()
            hex_groups = [group for group in re.split(r"[:.%]", value) if group]
            if len(hex_groups) < 2 or not any(char.isdigit() for char in value):
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield Candidate(EntityType.IP_ADDRESS, match.start(), match.end(), 0.95)


_MAC = re.compile(
    r"(?<![\w:\-.])"
    r"(?:[0-9a-f]{2}([:\-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})"
    r"(?![\w:\-]|\.\w)",
    re.IGNORECASE,
)


def find_mac_addresses(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _MAC.finditer(text):
        value = match.group()
        digits = re.sub(r"[^0-9a-fA-F]", "", value)
        if digits in ("000000000000", "ffffffffffff", "FFFFFFFFFFFF"):
            continue
        colon_form = ":".join(digits[index : index + 2] for index in range(0, 12, 2))
        # Any OUI counts: random and locally administered addresses still
        # identify a device, so the IEEE registry lookup is skipped.
        if not stdnum_mac.is_valid(colon_form, validate_manufacturer=False):
            continue
        yield Candidate(EntityType.MAC_ADDRESS, match.start(), match.end(), 0.95)
