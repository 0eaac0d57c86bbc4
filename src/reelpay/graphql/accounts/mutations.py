"""Account mutations: each takes `input` and returns a payload with `userErrors`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.graphql.accounts.types import Account, AccountTypeSwitchPreview
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.enums import AccountType, Standing, Visibility
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.relay import decode_id_of

ACCOUNT_ID = ("input", "accountId")
USER_ERRORS_DESCRIPTION = "Why nothing changed; empty on success."


@strawberry.input(description="A new account's login and profile.")
class SignUpInput:
    email: str = strawberry.field(
        description="Login email (stored lower-case); unique. Only you and staff see it."
    )
    password: str = strawberry.field(description="8 to 128 characters.")
    handle: str = strawberry.field(
        description="2 to 24 letters, digits, '_' or '.'; unique ignoring case."
    )
    display_name: str = strawberry.field(description="The name people see, 1 to 50 characters.")
    birth_date: date = strawberry.field(
        description="You must be 13 or older; only you and staff see it. Programs and spending "
        "have higher ages (18, or 19 in KR)."
    )
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code, e.g. US.")


@strawberry.type(description="The result of `signUp`.")
class SignUpPayload:
    token: str | None = strawberry.field(
        default=None, description="Bearer token for the Authorization header; shown once."
    )
    account: Account | None = strawberry.field(
        default=None, description="The new account; null when there are user errors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="The credentials chosen at sign-up.")
class LogInInput:
    email: str = strawberry.field(description="The account's login email (any case).")
    password: str = strawberry.field(description="The account's password.")


@strawberry.type(description="The result of `logIn`.")
class LogInPayload:
    token: str | None = strawberry.field(
        default=None,
        description="A new bearer token for the Authorization header (`Bearer <token>`); shown "
        "once. Null when there are user errors.",
    )
    account: Account | None = strawberry.field(
        default=None, description="The logged-in account; null when there are user errors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="Which sessions to end.")
class LogOutInput:
    everywhere: bool = strawberry.field(
        default=False, description="Revoke every session of the account, not just this one."
    )


@strawberry.type(description="The result of `logOut`.")
class LogOutPayload:
    revoked_sessions: int = strawberry.field(
        default=0, description="How many sessions (bearer tokens) were revoked."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="Only the fields you send change; null clears an optional field.")
class UpdateProfileInput:
    handle: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="2 to 24 letters, digits, '_' or '.'; unique ignoring case. Not null.",
    )
    display_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 50 characters. Not null."
    )
    bio: str | None = strawberry.field(
        default=strawberry.UNSET, description='Up to 300 characters; "" clears it. Not null.'
    )
    avatar_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="An http(s) URL; null removes the picture."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166-1 alpha-2 code, e.g. US. Not null."
    )
    visibility: Visibility | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Going PUBLIC accepts every pending follow request. Not null.",
    )
    website_url: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="An http(s) URL; null clears it. BUSINESS accounts only.",
    )
    contact_email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Public contact email; null clears it. BUSINESS accounts only.",
    )


@strawberry.type(description="The result of `updateProfile`.")
class UpdateProfilePayload:
    account: Account | None = strawberry.field(
        default=None,
        description="Your account as it is now (same `id`, so caches update it); null when "
        "there are user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="The type to switch your account to.")
class SwitchAccountTypeInput:
    account_type: AccountType = strawberry.field(  # type: ignore[valid-type]
        description="PERSONAL or BUSINESS; the other one than the account has now."
    )


@strawberry.type(description="The result of `switchAccountType`.")
class SwitchAccountTypePayload:
    account: Account | None = strawberry.field(
        default=None,
        description="Your account after the switch (type, pinned videos, website and contact "
        "email as they are now); null when there are user errors.",
    )
    changes: AccountTypeSwitchPreview | None = strawberry.field(
        default=None, description="What the switch changed; null when there are user errors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="Staff: an account and its new standing.")
class SetAccountStandingInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    standing: Standing = strawberry.field(  # type: ignore[valid-type]
        description="The new standing."
    )


@strawberry.input(description="Staff: an account and whether it is governmental or political.")
class SetAccountPoliticalInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    is_political: bool = strawberry.field(
        description="true for government and political accounts: they cannot be monetized."
    )


@strawberry.type(description="The result of a staff change to an account.")
class StaffAccountPayload:
    account: Account | None = strawberry.field(
        default=None,
        description="The account as it is now; null when there are user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


def _kept(value: Any) -> Any:
    return accounts.KEEP if value is strawberry.UNSET else value


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Create an account and log in. Throttled per client address "
        "(TOO_MANY_ATTEMPTS with `retryAfterSeconds`)."
    )
    async def sign_up(
        self,
        info: Info[Context, None],
        input: Annotated[SignUpInput, strawberry.argument(description="The new account.")],
    ) -> SignUpPayload:
        ctx = info.context
        data = accounts.SignUp(
            email=input.email,
            password=input.password,
            handle=input.handle,
            display_name=input.display_name,
            birth_date=input.birth_date,
            country=input.country,
        )

        async def work() -> SignUpPayload:
            throttle = ctx.services.throttle
            await throttle.hit(throttle.signups, ctx.client_address)
            # Hashed before the transaction: it holds no lock or connection meanwhile.
            password_hash = await accounts.hash_new_password(
                input.password, ctx.settings.rules, ctx.services.passwords
            )
            account, token = await ctx.write(
                lambda s, _viewer: accounts.sign_up(
                    s, data, now=ctx.now, rules=ctx.settings.rules, password_hash=password_hash
                ),
                anonymous=True,
            )
            ctx.act_as(account)
            return SignUpPayload(token=token, account=Account.from_model(account))

        return await as_user_errors(SignUpPayload, work)

    @strawberry.mutation(
        description="Exchange email and password for a bearer token. Throttled per client "
        "address and per account: past the limit the answer is TOO_MANY_ATTEMPTS with "
        "`retryAfterSeconds`, whatever the password."
    )
    async def log_in(
        self,
        info: Info[Context, None],
        input: Annotated[LogInInput, strawberry.argument(description="Email and password.")],
    ) -> LogInPayload:
        ctx = info.context

        async def work() -> LogInPayload:
            throttle, email = ctx.services.throttle, input.email.strip().lower()
            await throttle.hit(throttle.login_per_address, ctx.client_address)
            # Counted as a failure before the password is checked, forgiven if it is right:
            # attempts already in flight count too, so parallel guesses cannot overshoot.
            await throttle.hit(throttle.login_failures, email)
            found = await ctx.read(lambda s: accounts.credentials(s, email))
            await ctx.release()  # the password is checked with no connection held
            if not await ctx.services.passwords.verify(found.password_hash, input.password):
                raise accounts.wrong_credentials()
            account, token = await ctx.write(
                lambda s, _viewer: accounts.start_session(
                    s, found, now=ctx.now, rules=ctx.settings.rules
                ),
                anonymous=True,
            )
            await throttle.clear(throttle.login_failures, email)
            ctx.act_as(account)
            return LogInPayload(token=token, account=Account.from_model(account))

        return await as_user_errors(LogInPayload, work)

    @strawberry.mutation(description="Revoke the bearer token this request was sent with.")
    async def log_out(
        self,
        info: Info[Context, None],
        input: Annotated[LogOutInput, strawberry.argument(description="Which sessions to end.")],
    ) -> LogOutPayload:
        ctx = info.context

        async def revoke(session: Any, viewer: Any) -> int:
            return await accounts.log_out(
                session,
                logged_in(viewer),
                token=ctx.token or "",
                everywhere=input.everywhere,
                now=ctx.now,
            )

        return LogOutPayload(revoked_sessions=await ctx.write(revoke))

    @strawberry.mutation(description="Change the viewer's profile.")
    async def update_profile(
        self,
        info: Info[Context, None],
        input: Annotated[
            UpdateProfileInput, strawberry.argument(description="The profile fields to change.")
        ],
    ) -> UpdateProfilePayload:
        ctx = info.context
        changes = accounts.ProfileChanges(
            handle=_kept(input.handle),
            display_name=_kept(input.display_name),
            bio=_kept(input.bio),
            avatar_url=_kept(input.avatar_url),
            country=_kept(input.country),
            visibility=_kept(input.visibility),
            website_url=_kept(input.website_url),
            contact_email=_kept(input.contact_email),
        )

        async def work() -> UpdateProfilePayload:
            account = await ctx.write(
                lambda s, viewer: accounts.update_profile(
                    s, logged_in(viewer), changes, now=ctx.now, rules=ctx.settings.rules
                )
            )
            return UpdateProfilePayload(account=Account.from_model(account))

        return await as_user_errors(UpdateProfilePayload, work)

    @strawberry.mutation(
        description="Switch between PERSONAL and BUSINESS (pro). Free, instant and reversible: "
        "going PERSONAL hides pinned videos and analytics and erases website and contact "
        "email; going BUSINESS restores the pins."
    )
    async def switch_account_type(
        self,
        info: Info[Context, None],
        input: Annotated[
            SwitchAccountTypeInput, strawberry.argument(description="The type to switch to.")
        ],
    ) -> SwitchAccountTypePayload:
        ctx = info.context

        async def work() -> SwitchAccountTypePayload:
            async def switch(session: Any, viewer: Any) -> Any:
                account = logged_in(viewer)
                preview = await accounts.switch_account_type(session, account, input.account_type)
                return account, preview

            account, preview = await ctx.write(switch)
            return SwitchAccountTypePayload(
                account=Account.from_model(account),
                changes=AccountTypeSwitchPreview.from_preview(preview, account),
            )

        return await as_user_errors(SwitchAccountTypePayload, work)

    @strawberry.mutation(description="Staff: record an account's community-guideline standing.")
    async def set_account_standing(
        self,
        info: Info[Context, None],
        input: Annotated[
            SetAccountStandingInput,
            strawberry.argument(description="The account and its standing."),
        ],
    ) -> StaffAccountPayload:
        ctx = info.context

        async def work() -> StaffAccountPayload:
            account = await ctx.write(
                lambda s, viewer: accounts.set_standing(
                    s,
                    _staff(viewer),
                    decode_id_of(input.account_id, "Account", ACCOUNT_ID),
                    input.standing,
                )
            )
            return StaffAccountPayload(account=Account.from_model(account))

        return await as_user_errors(StaffAccountPayload, work)

    @strawberry.mutation(description="Staff: mark or unmark a government or political account.")
    async def set_account_political(
        self,
        info: Info[Context, None],
        input: Annotated[
            SetAccountPoliticalInput, strawberry.argument(description="The account and the flag.")
        ],
    ) -> StaffAccountPayload:
        ctx = info.context

        async def work() -> StaffAccountPayload:
            account = await ctx.write(
                lambda s, viewer: accounts.set_political(
                    s,
                    _staff(viewer),
                    decode_id_of(input.account_id, "Account", ACCOUNT_ID),
                    input.is_political,
                )
            )
            return StaffAccountPayload(account=Account.from_model(account))

        return await as_user_errors(StaffAccountPayload, work)


def _staff(viewer: Any) -> Any:
    """Who may act at all comes before what they sent: UNAUTHENTICATED, FORBIDDEN, then input."""
    return accounts.require_staff(logged_in(viewer))
