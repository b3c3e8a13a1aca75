"""Every sentence the bot says, per language, so it can be translated in one place.

Keys are stable; values are str.format templates. Keep the voice warm, short and plain.
"""

from __future__ import annotations

from typing import Any

EN: dict[str, str] = {
    # general
    "error": "Sorry, something went wrong on my side. Please try that again in a moment.",
    "button_expired": "This button has expired. Please use the latest message.",
    "use_buttons": "Please tap one of the buttons below, or type your answer.",
    "not_understood": "I'm not sure what you mean. /help shows what I can do.",
    "not_text": "I can only read text here. Please type your answer or use the buttons.",
    "unknown_command": "I don't know /{command}. /help shows what I can do.",
    "not_for_role": "That command isn't available to you.",
    "cancelled": "Okay, stopped. Nothing else was changed.",
    "nothing_to_cancel": "There's nothing to cancel right now.",
    "still_in_flow": "Let's finish this first, or send /cancel to stop.",
    "finish_setup_first": "Let's finish setting you up first.",
    # visitors
    "visitor_welcome": (
        "Hi {name}, welcome to mendbot!\n\n"
        "I help clients of our training centre keep their recovery on track between sessions.\n\n"
        "If your trainer sent you an invite link, please open that link to join. "
        "Booking a free consult here is coming soon."
    ),
    # invites
    "invite_unknown": (
        "I don't recognise that invite code. Please check the link, or ask for a new invite."
    ),
    "invite_used": "This invite has already been used. Please ask for a new one.",
    "invite_expired": "This invite has expired. Please ask for a new one.",
    "already_joined": "You're already set up here as {role}. /help shows what you can do.",
    "invite_ask_client_name": "What's your client's name? (I'll greet them with it.)",
    "invite_ask_trainer_name": "What's the new trainer's name?",
    "invite_bad_name": "Please send a name of 1 to 64 characters.",
    "invite_ready": (
        "Here's the invite for {name}. Send them this link: it works once and expires on "
        "{expires}.\n\n{link}\n\nInvite code: {code}"
    ),
    # client onboarding
    "consent_ask": (
        "Hi {name}! {trainer} invited you to mendbot, your recovery check-in between sessions.\n\n"
        "To help you, I'll store your answers about pain, exercises and symptoms. Only your "
        "trainer and the centre's admin can see them. Is that okay?"
    ),
    "consent_yes": "I agree",
    "consent_more": "What's stored?",
    "consent_no": "No thanks",
    "consent_declined": (
        "No problem. Nothing about your health has been stored. If you change your mind, "
        "send /start and we'll pick up from here."
    ),
    "clearance_ask": "Has your physio or doctor cleared you to start exercising?",
    "clearance_yes": "Yes, I'm cleared",
    "clearance_no": "Not yet",
    "clearance_waiting": (
        "Thanks for telling me. Please don't start your exercises until you're cleared. "
        "I've let your trainer know; daily check-ins will start once they confirm."
    ),
    "condition_ask": (
        "What are you recovering from? A few words is plenty, for example "
        '"knee surgery (ACL)" or "lower back pain".'
    ),
    "condition_bad": "Please describe it in a few words (up to 200 characters).",
    "post_op_ask": "Have you had surgery for it?",
    "yes": "Yes",
    "no": "No",
    "timezone_ask": (
        "Which time zone are you in? Pick one, or type your city (e.g. Berlin) "
        "or a time zone name (e.g. America/Chicago)."
    ),
    "timezone_bad": "I couldn't find that time zone. Try a nearby big city, or pick one below.",
    "checkin_time_ask": (
        "What time of day suits you for a short check-in? Pick one, or type a time like 7:30."
    ),
    "checkin_time_bad": "Please type a time like 7:30, 18:00 or 6pm.",
    "notice_ask": (
        "One important thing before we start: this chat is not monitored 24/7.\n\n"
        "If you ever have a medical emergency, call {emergency} now. "
        "Don't wait for a reply here.\n\n"
        "If your surgeon or physio told you something different from what I say, follow them."
    ),
    "notice_ok": "I understand",
    "client_ready": (
        "You're all set, {name}. Your check-in time is {time} ({timezone}), and {trainer} "
        "knows you've joined.\n\n/help shows what you can do."
    ),
    "client_ready_waiting": (
        "You're all set, {name}. Check-ins will start once {trainer} confirms your clearance "
        "to exercise.\n\n/help shows what you can do."
    ),
    # staff onboarding
    "staff_welcome": "Welcome, {name}! You're joining mendbot as {role}.",
    "staff_ready": "All set, {name}. /invite {invite_hint}, /help shows everything.",
    "invite_hint_trainer": "invites a client",
    "invite_hint_admin": "invites a trainer",
    # to trainers (proactive; no symptoms in these)
    "trainer_client_joined": "{client} has joined and finished setting up.",
    "trainer_client_declined": "{client} opened your invite but didn't consent to storing data.",
    "trainer_clearance_needed": (
        "{client} hasn't been cleared to exercise by their physio or doctor yet. Their check-ins "
        "stay off until you confirm they're cleared."
    ),
    "trainer_confirm_clearance": "Confirm clearance",
    "clearance_confirmed_trainer": "Confirmed: {client} is cleared to exercise.",
    "clearance_already": "{client}'s clearance was already confirmed.",
    "clearance_confirmed_client": (
        "Good news: {trainer} confirmed you're cleared to exercise. Your daily check-ins are on."
    ),
    # help
    "help_header": "Here's what I can do:",
    "help_resume": "We were in the middle of something; the question is just below.",
    "privacy": (
        "What mendbot stores: your name and Telegram id, your time zone and check-in time, what "
        "you're recovering from, and your check-in answers (pain, exercises, symptoms, notes).\n\n"
        "Who sees it: your trainer and the centre's admin. Nobody else.\n\n"
        "Telegram chats are not end-to-end encrypted, so please don't send anything you wouldn't "
        "want stored. Ask your trainer to delete your data at any time."
    ),
    # roles
    "role_admin": "an admin",
    "role_trainer": "a trainer",
    "role_client": "a client",
    "role_prospect": "a visitor",
    # command menu
    "cmd_start": "Start",
    "cmd_help": "What I can do",
    "cmd_privacy": "What's stored and who sees it",
    "cmd_cancel": "Stop what we're doing",
    "cmd_invite_trainer": "Invite a client",
    "cmd_invite_admin": "Invite a trainer",
    "cmd_checkin": "Today's check-in",
    "cmd_pause": "Pause check-ins (travel, illness)",
    "cmd_resume": "Resume check-ins",
    "cmd_alerts": "Open alerts for your clients",
    "cmd_alerts_admin": "Every open alert",
    "cmd_program": "Set a client's program",
    # optional questions, as labels on the trainer's program screen
    "question_morning": "Next morning (Q4)",
    "question_stiffness": "Morning stiffness (Q5)",
    "question_swelling": "Swelling (Q6)",
    "question_night": "Night pain (Q7)",
    "question_confidence": "Confidence (Q8)",
    # -- check-in (flows/checkin.py): add its texts below this line --
    # -- programs (flows/program.py): add its texts below this line --
    # -- alerts (flows/alert.py): add its texts below this line --
}

TEXTS: dict[str, dict[str, str]] = {"en": EN}


def t(key: str, locale: str = "en", **values: Any) -> str:
    """The text for `key` in `locale` (English when missing), filled with `values`."""
    template = TEXTS.get(locale, EN).get(key) or EN[key]
    return template.format(**values) if values else template
