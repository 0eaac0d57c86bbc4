"""The payment and payout providers a deployment configured (see `settings` and the README's
Deployment section): the sandbox by default, Stripe and PayPal in production."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelpay.payments.provider import PaymentProvider
from reelpay.payments.sandbox import SandboxProvider
from reelpay.payouts.provider import PayoutOutcome, PayoutProvider, PayoutRequest, PayoutResult
from reelpay.payouts.sandbox import SandboxPayoutProvider
from reelpay.settings import PAYOUT_KINDS, Settings

if TYPE_CHECKING:
    from reelpay.payments.stripe import StripePaymentProvider
    from reelpay.payouts.paypal import PayPalPayouts
    from reelpay.payouts.stripe_connect import StripeConnect


def payment_provider(settings: Settings) -> PaymentProvider:
    """REELPAY_PAYMENT_PROVIDER: the sandbox, or Stripe PaymentIntents."""
    if settings.payment_provider == "stripe":
        from reelpay.payments.stripe import StripePaymentProvider

        assert settings.stripe is not None  # Settings.from_env requires its keys
        return StripePaymentProvider(settings.stripe)
    return SandboxProvider()


def stripe_connect(settings: Settings) -> StripeConnect | None:
    """Stripe Connect, when bank payouts go through it (None otherwise)."""
    if "stripe" not in settings.payout_provider.split(","):
        return None
    from reelpay.payouts.stripe_connect import StripeConnect

    assert settings.stripe is not None
    return StripeConnect(settings.stripe)


def paypal_payouts(settings: Settings) -> PayPalPayouts | None:
    """PayPal Payouts, when PayPal payouts go through it (None otherwise)."""
    if "paypal" not in settings.payout_provider.split(","):
        return None
    from reelpay.payouts.paypal import PayPalPayouts

    assert settings.paypal is not None
    return PayPalPayouts(settings.paypal)


def stripe_webhooks(settings: Settings, payments: PaymentProvider) -> StripePaymentProvider | None:
    """What verifies `/webhooks/stripe` (whenever Stripe is configured, for payments or for
    Connect's `account.updated`): the payment provider itself when it is Stripe; None: the
    route answers 404."""
    from reelpay.payments.stripe import StripePaymentProvider

    if isinstance(payments, StripePaymentProvider):
        return payments
    if settings.stripe is None:
        return None
    return StripePaymentProvider(settings.stripe)


class RoutedPayouts:
    """Each payout to the provider of its method's kind: bank accounts to Stripe Connect,
    PayPal to PayPal Payouts. A kind no configured provider sends fails for good (its money
    returns to the creator's earnings); adding such a method is refused up front."""

    name = "routed"

    def __init__(self, by_kind: dict[str, PayoutProvider]) -> None:
        self.by_kind = by_kind

    def supports(self, kind: str) -> bool:
        return kind in self.by_kind

    async def send(self, request: PayoutRequest) -> PayoutResult:
        provider = self.by_kind.get(request.kind)
        if provider is None:
            return unsupported(request.kind)
        return await provider.send(request)

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        provider = self.by_kind.get(request.kind)
        return None if provider is None else await provider.status(request)

    def provider_name(self, kind: str) -> str:
        provider = self.by_kind.get(kind)
        return provider.name if provider is not None else self.name


def unsupported(kind: str) -> PayoutResult:
    return PayoutResult(
        PayoutOutcome.FAILED,
        code="PAYOUT_METHOD_UNSUPPORTED",
        message=f"{kind} payouts are not available on this server; choose another payout method.",
    )


def payout_provider(
    settings: Settings,
    *,
    connect: PayoutProvider | None = None,
    paypal: PayoutProvider | None = None,
) -> PayoutProvider:
    """REELPAY_PAYOUT_PROVIDER: the sandbox, or Stripe Connect and/or PayPal by method kind
    (`connect` and `paypal`: the instances the app already built, else new ones)."""
    if settings.payout_provider == "sandbox":
        return SandboxPayoutProvider()
    by_kind: dict[str, PayoutProvider] = {}
    stripe = connect or stripe_connect(settings)
    if stripe is not None:
        by_kind[PAYOUT_KINDS["stripe"]] = stripe
    paypal = paypal or paypal_payouts(settings)
    if paypal is not None:
        by_kind[PAYOUT_KINDS["paypal"]] = paypal
    return RoutedPayouts(by_kind)
