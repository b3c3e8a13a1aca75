"""Joining with an invite.

Clients: consent, medical clearance, condition, post-op, time zone, check-in time, and the notice
that the chat is not monitored 24/7. Trainers and admins: time zone. Each answer is saved as it
is given, so /cancel, a restart or a week away loses nothing: /start resumes at the first missing
answer.

    client_onboarding:  CONSENT -> CLEARANCE -> CONDITION -> POST_OP -> TIMEZONE
                          -> CHECKIN_TIME -> NOTICE -> done (ready; trainer told)
                        CONSENT "tell me more" -> CONSENT;  "no" -> done (trainer told)
    staff_onboarding:   TIMEZONE -> done
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from flows.account.preferences import clock_time, fit_quiet
from flows.engine import dates
from flows.engine.buttons import Actions, ConfirmClearance, Route, outbox_button
from flows.engine.choices import buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, resume, start
from flows.engine.core import keyboard
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry, StepSpec
from flows.engine.localtime import COMMON_TIMES, COMMON_ZONES, find_timezone, local
from flows.engine.menu import help_text, menu_for
from flows.engine.notify import notify_person
from flows.engine.texts import N_, t
from storage.models import STAFF as STAFF_ROLES
from storage.models import Clearance, ClientProfile, Invite, Person, Role
from storage.personal import stored_about

# Each role in words ("You have already joined as {role}"), and how staff invite people.
ROLE_NAMES: Mapping[Role, str] = {
    Role.ADMIN: N_("role_admin"),
    Role.TRAINER: N_("role_trainer"),
    Role.CLIENT: N_("role_client"),
    Role.PROSPECT: N_("role_prospect"),
}
INVITE_HINTS: Mapping[Role, str] = {
    Role.ADMIN: N_("invite_hint_admin"),
    Role.TRAINER: N_("invite_hint_trainer"),
}


class Step(StrEnum):
    CONSENT = "consent"
    CLEARANCE = "clearance"
    CONDITION = "condition"
    POST_OP = "post_op"
    TIMEZONE = "timezone"
    CHECKIN_TIME = "checkin_time"
    NOTICE = "notice"


class Data(FlowData):
    """Nothing to remember: each answer is saved on the person or profile as it is given."""


async def redeem(ctx: Context, code: str) -> None:
    """/start CODE: check the invite, create the person once, then start or resume onboarding.
    Every outcome gets an answer, also reopening one's own invite once set up."""
    invite = await ctx.store.invite(code.strip())
    user_id = ctx.event.user_id
    if invite is None:
        ctx.say(ctx.t("invite_unknown"))
        return
    mine = invite.used_by_user_id == user_id
    if invite.used_by_user_id is not None and (not mine or ctx.person is None):
        ctx.say(ctx.t("invite_used"))  # someone else's, or theirs before they deleted it all
        return
    if mine:
        if not await begin(ctx):
            await _already_set_up(ctx)
        return
    if invite.expires_at <= ctx.now:
        ctx.say(ctx.t("invite_expired"))
        return
    if not await _may_join(ctx, invite):
        return
    invite.used_by_user_id, invite.used_at = user_id, ctx.now
    ctx.person = await _join(ctx, invite.role, invite.name, invite.trainer_id)
    if not await begin(ctx):  # a visitor turned staff whose time zone is known: nothing to ask
        ctx.say(ctx.t("staff_welcome", name=invite.name, role=ctx.t(ROLE_NAMES[invite.role])))
        await _staff_ready(ctx)


async def _may_join(ctx: Context, invite: Invite) -> bool:
    """Whether this account may take `invite`; if not, says why (the invite stays unused).

    A visitor (prospect) may join as a client: the consult's whole point. Not as staff while
    they have visitor data (bookings, intake alerts, messages): a staff account can't delete
    its own data, and a trainer must not stay someone's consult visitor.
    """
    person = ctx.person
    if person is None:
        return True
    if person.role != Role.PROSPECT:
        ctx.say(ctx.t("already_joined", role=ctx.t(ROLE_NAMES[person.role])))
        return False
    if invite.role in STAFF_ROLES and await _has_visitor_data(ctx, person):
        ctx.say(ctx.t("invite_staff_visitor_data", role=ctx.t(ROLE_NAMES[invite.role])))
        return False
    return True


async def _has_visitor_data(ctx: Context, person: Person) -> bool:
    stored = await stored_about(ctx.store, person)
    return bool(stored.bookings or stored.alerts or stored.outbox)


async def _already_set_up(ctx: Context) -> None:
    """Their own invite again, with nothing left to ask: say so, with what they can do."""
    person = ctx.person
    if person is None:
        return
    ctx.say(ctx.t("invite_yours_done", name=person.name))
    ctx.say(help_text(person.role, ctx.locale))
    ctx.replies.add(menu_for(person.role, ctx.locale))
    if ctx.convo.flow:  # e.g. a check-in under way: its question again
        ctx.say(ctx.t("help_resume"))
        await resume(ctx)


async def _join(ctx: Context, role: Role, name: str, trainer_id: int | None) -> Person:
    """The invited person; a visitor who booked a consult (a prospect) is the same person, now
    joining for real: their row and bookings stay, their role changes."""
    person = ctx.person
    if person is not None:
        person.role, person.name = role, name
        await ctx.store.session.flush()
    else:
        person = Person(
            telegram_user_id=ctx.event.user_id,
            chat_id=ctx.event.chat_id,
            role=role,
            name=name,
            locale=ctx.locale,  # before the row exists: their chat's language
            created_at=ctx.now,
        )
        await ctx.store.add_person(person)
    if role == Role.CLIENT and trainer_id is not None and person.id is not None:
        await ctx.store.add(ClientProfile(person_id=person.id, trainer_id=trainer_id))
    return person


async def begin(ctx: Context) -> bool:
    """Start onboarding at the first missing answer; False if there is nothing left to ask."""
    person = ctx.person
    if person is None:
        return False
    if person.role == Role.CLIENT:
        profile = await ctx.store.profile(person.id or 0)
        step = first_missing(person, profile)
        if step is None:
            return False
        await start(ctx, CLIENT, step)
        return True
    staff = person.role in (Role.ADMIN, Role.TRAINER)  # a visitor may have no time zone yet
    if staff and person.timezone is None:
        ctx.say(ctx.t("staff_welcome", name=person.name, role=ctx.t(ROLE_NAMES[person.role])))
        await start(ctx, STAFF)
        return True
    return False


def first_missing(person: Person, profile: ClientProfile | None) -> Step | None:
    if profile is None or profile.onboarded_at is not None:
        return None
    answered = {
        Step.CONSENT: profile.consent_at is not None,
        Step.CLEARANCE: profile.clearance is not None,
        Step.CONDITION: profile.condition is not None,
        Step.POST_OP: profile.post_op is not None,
        Step.TIMEZONE: person.timezone is not None,
        Step.CHECKIN_TIME: profile.checkin_time is not None,
        Step.NOTICE: False,
    }
    return next(step for step in Step if not answered[step])


async def _profile(ctx: Context) -> tuple[Person, ClientProfile]:
    person = ctx.person
    profile = await ctx.store.profile(person.id or 0) if person else None
    if person is None or profile is None:
        raise RuntimeError("client onboarding without a client profile")
    return person, profile


async def _trainer_name(ctx: Context, profile: ClientProfile) -> str:
    trainer = await ctx.store.person(profile.trainer_id)
    return trainer.name if trainer else "Your trainer"


ZONE_NAMES = {  # COMMON_ZONES' buttons as each language names the places
    "Europe/London": N_("zone_london"),
    "Europe/Berlin": N_("zone_berlin_paris"),
    "America/New_York": N_("zone_new_york"),
    "America/Chicago": N_("zone_chicago"),
    "America/Denver": N_("zone_denver"),
    "America/Los_Angeles": N_("zone_los_angeles"),
    "Asia/Kolkata": N_("zone_india"),
    "Australia/Sydney": N_("zone_sydney"),
}


def ask_timezone(ctx: Context) -> None:
    options = [(zone, ctx.t(ZONE_NAMES[zone])) for _, zone in COMMON_ZONES]
    default = ctx.bot.default_timezone
    if default not in dict(options):
        options.insert(0, (default, default.rsplit("/", 1)[-1].replace("_", " ")))
    ctx.say(ctx.t("timezone_ask"), buttons(ctx, options, per_row=2))


def answer_timezone(ctx: Context, answer: Answer) -> str:
    """The IANA name to store, pressed or typed: always what find_timezone makes of it ("london"
    is stored as "Europe/London"), never the value as given."""
    zone = find_timezone(answer.choice if answer.choice is not None else answer.text)
    if zone is None:
        raise Retry(ctx.t("timezone_bad"))
    if answer.choice is None:  # typed ("Toronto"): say which zone that became, and its time
        ctx.say(
            ctx.t("timezone_chosen", zone=zone, time=dates.clock(local(ctx.now, zone), ctx.locale))
        )
    return zone


def _consent_options(ctx: Context) -> list[tuple[str, str]]:
    return [
        ("yes", ctx.t("consent_yes")),
        ("more", ctx.t("consent_more")),
        ("no", ctx.t("consent_no")),
    ]


async def ask_consent(ctx: Context, data: Data) -> None:
    person, profile = await _profile(ctx)
    trainer = await _trainer_name(ctx, profile)
    text = ctx.t("consent_ask", name=person.name, trainer=trainer)
    ctx.say(text, buttons(ctx, _consent_options(ctx)))


async def answer_consent(ctx: Context, data: Data, answer: Answer) -> Result:
    person, profile = await _profile(ctx)
    value = pick(ctx, answer, _consent_options(ctx))
    if value == "more":
        ctx.say(ctx.t("privacy"))
        return Next(Step.CONSENT)
    if value == "no":
        ctx.say(ctx.t("consent_declined"))
        await _tell_trainer(ctx, profile, "trainer_client_declined", person)
        return Done()
    profile.consent_at = ctx.now
    return Next(Step.CLEARANCE)


def _clearance_options(ctx: Context) -> list[tuple[str, str]]:
    return [("yes", ctx.t("clearance_yes")), ("no", ctx.t("clearance_no"))]


async def ask_clearance(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("clearance_ask"), buttons(ctx, _clearance_options(ctx)))


async def answer_clearance(ctx: Context, data: Data, answer: Answer) -> Result:
    """Not yet cleared: the trainer gets a Confirm clearance button; onboarding goes on."""
    person, profile = await _profile(ctx)
    if pick(ctx, answer, _clearance_options(ctx)) == "yes":
        profile.clearance = Clearance.CLEARED
    else:
        profile.clearance = Clearance.AWAITING_TRAINER
        ctx.say(ctx.t("clearance_waiting"))
        trainer = await ctx.store.person(profile.trainer_id)
        label = t("trainer_confirm_clearance", trainer.locale if trainer else ctx.locale)
        button = outbox_button(label, ConfirmClearance(person.id or 0))
        await _tell_trainer(ctx, profile, "trainer_clearance_needed", person, [[button]])
    return Next(Step.CONDITION)


async def ask_condition(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("condition_ask"))


async def answer_condition(ctx: Context, data: Data, answer: Answer) -> Result:
    _, profile = await _profile(ctx)
    condition = " ".join(answer.text.split())
    if answer.choice is not None or not 2 <= len(condition) <= 200:
        raise Retry(ctx.t("condition_bad"))
    profile.condition = condition
    return Next(Step.POST_OP)


def _yes_no(ctx: Context) -> list[tuple[str, str]]:
    return [("yes", ctx.t("yes")), ("no", ctx.t("no"))]


async def ask_post_op(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("post_op_ask"), buttons(ctx, _yes_no(ctx)))


async def answer_post_op(ctx: Context, data: Data, answer: Answer) -> Result:
    _, profile = await _profile(ctx)
    profile.post_op = pick(ctx, answer, _yes_no(ctx)) == "yes"
    return Next(Step.TIMEZONE)


async def ask_client_timezone(ctx: Context, data: Data) -> None:
    ask_timezone(ctx)


async def answer_client_timezone(ctx: Context, data: Data, answer: Answer) -> Result:
    person, _ = await _profile(ctx)
    person.timezone = answer_timezone(ctx, answer)
    return Next(Step.CHECKIN_TIME)


async def ask_checkin_time(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("checkin_time_ask"), buttons(ctx, [(t, t) for t in COMMON_TIMES], 3))


async def answer_checkin_time(ctx: Context, data: Data, answer: Answer) -> Result:
    person, profile = await _profile(ctx)
    profile.checkin_time = clock_time(ctx, answer)
    fit_quiet(ctx, person, profile.checkin_time)
    return Next(Step.NOTICE)


async def ask_notice(ctx: Context, data: Data) -> None:
    emergency = ctx.bot.emergency_number
    ok = keyboard([ctx.choice(ctx.t("notice_ok"), "ok")])
    ctx.say(ctx.t("notice_ask", emergency=emergency), ok)


async def answer_notice(ctx: Context, data: Data, answer: Answer) -> Result:
    """The last answer: the client is onboarded, told what comes next, and the trainer told."""
    person, profile = await _profile(ctx)
    pick(ctx, answer, [("ok", ctx.t("notice_ok"))])
    profile.onboarded_at = ctx.now
    ctx.replies.add(menu_for(person.role, ctx.locale))
    trainer = await _trainer_name(ctx, profile)
    if profile.clearance == Clearance.AWAITING_TRAINER:
        ctx.say(ctx.t("client_ready_waiting", name=person.name, trainer=trainer))
    else:
        ctx.say(
            ctx.t(
                "client_ready",
                name=person.name,
                time=profile.checkin_time,
                timezone=person.timezone,
                trainer=trainer,
            )
        )
    await _tell_trainer(ctx, profile, "trainer_client_joined", person)
    return Done()


async def _tell_trainer(
    ctx: Context,
    profile: ClientProfile,
    key: str,
    client: Person,
    buttons: list[list[dict[str, str]]] | None = None,
) -> None:
    trainer = await ctx.store.person(profile.trainer_id)
    if trainer is not None:
        await notify_person(
            ctx, trainer, key, buttons=buttons, about=[client.id], client=client.name
        )


async def ask_staff_timezone(ctx: Context, data: Data) -> None:
    ask_timezone(ctx)


async def answer_staff_timezone(ctx: Context, data: Data, answer: Answer) -> Result:
    """Trainers and admins only need a time zone: their digests and quiet hours follow it."""
    if ctx.person is not None:
        ctx.person.timezone = answer_timezone(ctx, answer)
    await _staff_ready(ctx)
    return Done()


async def _staff_ready(ctx: Context) -> None:
    person = ctx.person
    if person is None:
        return
    ctx.replies.add(menu_for(person.role, ctx.locale))
    hint = ctx.t(INVITE_HINTS[person.role])
    ctx.say(ctx.t("staff_ready", name=person.name, invite_hint=hint))
    await _tell_inviters(ctx, person)


async def _tell_inviters(ctx: Context, person: Person) -> None:
    """The admin who invited this trainer (or admin) hears they joined, as a trainer hears of a
    client; an invite made on the command line has no inviter, so every admin hears it."""
    invite = await ctx.store.invite_used_by(person.telegram_user_id)
    inviter = await ctx.store.person(invite.created_by) if invite and invite.created_by else None
    admins = [inviter] if inviter is not None else await ctx.store.people_with_role(Role.ADMIN)
    for admin in admins:
        if admin.id == person.id:
            continue
        await notify_person(
            ctx,
            admin,
            "staff_joined",  # not `about` them: staff don't /deleteme, an admin removes them
            dedupe_key=f"staff_joined:{person.id}:{admin.id}",
            name=person.name,
            role=t(ROLE_NAMES[person.role], admin.locale),
        )


CLIENT = register(
    Flow(
        "client_onboarding",
        Data,
        {
            Step.CONSENT: StepSpec(ask_consent, answer_consent),
            Step.CLEARANCE: StepSpec(ask_clearance, answer_clearance),
            Step.CONDITION: StepSpec(ask_condition, answer_condition),
            Step.POST_OP: StepSpec(ask_post_op, answer_post_op),
            Step.TIMEZONE: StepSpec(ask_client_timezone, answer_client_timezone),
            Step.CHECKIN_TIME: StepSpec(ask_checkin_time, answer_checkin_time),
            Step.NOTICE: StepSpec(ask_notice, answer_notice),
        },
    )
)
STAFF = register(
    Flow(
        "staff_onboarding",
        Data,
        {Step.TIMEZONE: StepSpec(ask_staff_timezone, answer_staff_timezone)},
    )
)


async def confirm_clearance(ctx: Context, data: ConfirmClearance) -> None:
    """The trainer's "Confirm clearance" button: only the client's own trainer (or an admin)."""
    trainer = ctx.person
    profile = await ctx.store.profile(data.client_id)
    client = await ctx.store.person(profile.person_id) if profile else None
    allowed = trainer is not None and (
        trainer.role == Role.ADMIN or (profile is not None and profile.trainer_id == trainer.id)
    )
    if not allowed or profile is None or client is None or trainer is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    if profile.clearance_confirmed_at is not None or profile.clearance == Clearance.CLEARED:
        ctx.replies.toast(ctx.t("clearance_already", client=client.name))
        return
    profile.clearance = Clearance.CLEARED
    profile.clearance_confirmed_by, profile.clearance_confirmed_at = trainer.id, ctx.now
    done = ctx.t("clearance_confirmed_trainer", client=client.name)
    ctx.replies.toast(done)
    if ctx.event.message_id is not None:
        ctx.replies.edit(ctx.event.message_id, f"{ctx.event.message_text}\n\n{done}")
    await notify_person(ctx, client, "clearance_confirmed_client", trainer=trainer.name)


COMMANDS: tuple[Command, ...] = ()
ACTIONS: Actions = (Route(ConfirmClearance, confirm_clearance),)
