"""Payout destinations (pure): validating PayPal emails and bank accounts, masking them, and
sealing them for storage.

Bank details are validated with python-stdnum (IBAN country formats and the mod-97 checksum,
the ABA routing-number checksum). The full destination is stored encrypted with a key derived
from REELPAY_SECRET_KEY (Fernet: AES-128-CBC with HMAC-SHA256); the API only ever returns the
masked form. Rotating the secret key makes stored destinations unreadable: creators then link
their methods again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.us import rtn

from reelpay.accounts import validation
from reelpay.errors import DomainError, ErrorCode
from reelpay.payouts.models import PayoutMethodKind

HOLDER_MAX_LENGTH = 100
US_ACCOUNT_DIGITS = re.compile(r"^[0-9]{4,17}$")
# A routing number's first two digits name a Federal Reserve district (01-12), a thrift
# (21-32), an electronic transfer (61-72) or traveller's cheques (80): 000000000 is not one.
ABA_PREFIXES = frozenset(f"{n:02d}" for n in (*range(1, 13), *range(21, 33), *range(61, 73), 80))
MASK = "\u2022\u2022\u2022\u2022"  # ••••


@dataclass(frozen=True)
class Destination:
    """A validated destination: what the provider needs and what the API may show."""

    kind: PayoutMethodKind
    details: dict[str, Any]  # the full destination (stored sealed)
    masked: str
    last4: str | None
    holder_name: str | None
    country: str | None

    @property
    def identity(self) -> str:
        """The normalised account, for spotting the same one linked twice."""
        number = self.details.get("email") or self.details.get("iban")
        if number is None:
            number = f"{self.details['routing']}:{self.details['account']}"
        return f"{self.kind.value}:{number}"


def paypal(email: str, field: tuple[str, ...]) -> Destination:
    address = validation.email(email, field)
    local, _, domain = address.partition("@")
    return Destination(
        kind=PayoutMethodKind.PAYPAL,
        details={"email": address},
        masked=f"{local[0]}\u2022\u2022\u2022@{domain}",
        last4=None,
        holder_name=None,
        country=None,
    )


def _holder(name: str, field: tuple[str, ...]) -> str:
    return validation.text(
        name, min_length=1, max_length=HOLDER_MAX_LENGTH, what="The account holder's name",
        field=field,
    )  # fmt: skip


def _bad_bank(message: str, field: tuple[str, ...]) -> DomainError:
    return DomainError(message, code=ErrorCode.INVALID_BANK_ACCOUNT, field=field)


def iban(holder_name: str, number: str, field: tuple[str, ...]) -> Destination:
    """An IBAN account: spaces allowed, country format and checksum checked."""
    holder = _holder(holder_name, (*field, "holderName"))
    compact = stdnum_iban.compact(number)
    try:
        if not (compact.isascii() and compact.isalnum()):  # Python's int() takes any digit
            raise ValidationError("Only the letters A-Z and digits 0-9 are allowed")
        stdnum_iban.validate(compact)
    except ValidationError as error:
        reason = str(error).rstrip(".")
        raise _bad_bank(
            f"This IBAN is not valid ({reason[:1].lower()}{reason[1:]}).", (*field, "iban")
        ) from None
    return Destination(
        kind=PayoutMethodKind.BANK_ACCOUNT,
        details={"iban": compact, "holder": holder},
        masked=f"{compact[:2]} {MASK}{compact[-4:]}",
        last4=compact[-4:],
        holder_name=holder,
        country=compact[:2],
    )


def us_account(holder_name: str, routing: str, account: str, field: tuple[str, ...]) -> Destination:
    """A US account: a 9-digit ABA routing number with a valid checksum, 4-17 account digits."""
    holder = _holder(holder_name, (*field, "holderName"))
    routing = routing.strip()
    if not (
        routing.isascii()
        and routing.isdigit()
        and rtn.is_valid(routing)
        and routing[:2] in ABA_PREFIXES
    ):
        raise _bad_bank(
            "A routing number has 9 digits with a valid checksum.", (*field, "routingNumber")
        )
    account = account.strip()
    if not US_ACCOUNT_DIGITS.match(account):
        raise _bad_bank("An account number has 4 to 17 digits.", (*field, "accountNumber"))
    return Destination(
        kind=PayoutMethodKind.BANK_ACCOUNT,
        details={"routing": routing, "account": account, "holder": holder},
        masked=f"US {MASK}{account[-4:]}",
        last4=account[-4:],
        holder_name=holder,
        country="US",
    )


def _fernet(secret_key: str) -> Fernet:
    derived = hashlib.sha256(b"reelpay payout destinations\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, destination: Destination) -> str:
    return _fernet(secret_key).encrypt(json.dumps(destination.details).encode()).decode()


def unseal(secret_key: str, token: str) -> dict[str, Any]:
    details: dict[str, Any] = json.loads(_fernet(secret_key).decrypt(token.encode()))
    return details


def fingerprint(secret_key: str, destination: Destination) -> str:
    key = hashlib.sha256(b"reelpay payout fingerprints\x00" + secret_key.encode()).digest()
    return hmac.new(key, destination.identity.encode(), hashlib.sha256).hexdigest()
