"""Every sentence the bot says, per language, so it can be translated in one place.

Keys are stable; values are str.format templates. Keep the voice warm, short and plain.
"""

from __future__ import annotations

from typing import Any

EN: dict[str, str] = {
    # general
    "error": "Sorry, something went wrong on my side. Please try that again in a moment.",
    "button_expired": "This button has expired. Please use the latest message.",
    "flow_outdated": (
        "Sorry, I was updated and can't pick up where we left off. Please start that again."
    ),
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
        "New here? You can book a free consult with one of our trainers: /book."
    ),
    # invites
    "invite_unknown": (
        "I don't recognise that invite code. Please check the link, or ask for a new invite."
    ),
    "invite_used": "This invite has already been used. Please ask for a new one.",
    "invite_expired": "This invite has expired. Please ask for a new one.",
    "already_joined": "You're already set up here as {role}. /help shows what you can do.",
    "invite_yours_done": "You're all set up already, {name}: you joined with this invite.",
    "invite_staff_visitor_data": (
        "Glad you're joining the team! This link makes you {role}, but this Telegram account "
        "still holds what you told me when you booked a free consult, and a staff account can't "
        "keep visitor data, so I haven't used the invite.\n\n"
        "To join from this account, send /deleteme to remove your visitor data (that also "
        "cancels any consult you booked), then open the link again. Or ask whoever invited you "
        "for a new link to open from another Telegram account."
    ),
    "invite_ask_client_name": "What's your client's name? (I'll greet them with it.)",
    "invite_ask_trainer_name": "What's the new trainer's name?",
    "invite_bad_name": "Please send a name of 1 to 64 characters, with at least one letter.",
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
        "want stored.\n\n"
        "Your data is yours: /mydata sends you a copy of everything stored about you, and "
        "/deleteme deletes it all, at any time."
    ),
    "privacy_staff": (
        "What mendbot stores about you: your name and Telegram id, your time zone and settings, "
        "and what you do here (programs set, alerts acknowledged, messages relayed).\n\n"
        "What you see: the check-ins, alerts and messages of your own clients (an admin sees "
        "everyone's). It is health data: please keep it within the centre.\n\n"
        "Telegram chats are not end-to-end encrypted. Clients can take a copy of their data "
        "(/mydata) or delete it (/deleteme); staff accounts are removed by the admin."
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
    "cmd_progress": "Your last 7 days at a glance",
    "cmd_clients_trainer": "Your clients, most in need first",
    "cmd_clients_admin": "Every client, most in need first",
    "cmd_book": "Book a free consult",
    "cmd_mybooking": "See, move or cancel your consult",
    "cmd_settings_client": "Reminder time and quiet hours",
    "cmd_settings_staff": "Quiet hours and digest time",
    "cmd_availability": "Your consult hours",
    "cmd_bookings_trainer": "Your upcoming consults",
    "cmd_bookings_admin": "All upcoming consults",
    "cmd_mydata": "A copy of everything stored about you",
    "cmd_deleteme": "Delete everything stored about you",
    # optional questions, as labels on the trainer's program screen
    "question_morning": "Next morning (Q4)",
    "question_stiffness": "Morning stiffness (Q5)",
    "question_swelling": "Swelling (Q6)",
    "question_night": "Night pain (Q7)",
    "question_confidence": "Confidence (Q8)",
    # -- check-in (flows/checkin/daily.py): add its texts below this line --
    "pause_ask": (
        "For how long would you like to pause check-ins? Pick one, or type a number of days "
        "(up to {most})."
    ),
    "pause_3": "3 days",
    "pause_7": "1 week",
    "pause_14": "2 weeks",
    "pause_bad": "Please send a number of days from 1 to {most}, like /pause 5.",
    "paused": (
        "Paused until {until}. No reminders and no flags until then, and your streak is safe. "
        "Send /resume any time."
    ),
    "resumed": "Welcome back! Check-ins are on again. Send /checkin when you're ready.",
    "not_paused": "You're not paused. Send /checkin whenever you're ready.",
    "ci_not_cleared": (
        "Check-ins start once {trainer} confirms your physio or doctor has cleared you to exercise."
    ),
    "ci_paused": "You're paused until {until}, so no check-in needed. Send /resume to start again.",
    "ci_again": "You've already checked in today. Would you like to change today's answers?",
    "ci_again_change": "Change answers",
    "ci_again_keep": "Keep them",
    "ci_kept": "Okay, today's answers stay as they are.",
    "ci_worry": "Something new or worrying",
    "ci_pain": "Hi {name}! How's your pain right now, from 0 (none) to 10 (worst imaginable)?",
    "ci_bad_score": "Please pick a number from 0 to 10.",
    "ci_exercise": "Exercise {n} of {total}: {exercise}. Did you do it today?",
    "ci_exercise_done": "Done",
    "ci_exercise_partly": "Partly",
    "ci_exercise_skipped": "Skipped",
    "ci_exercise_sets": "How many of the {sets} sets did you do?",
    "ci_bad_sets": "Please pick a number from 1 to {most}.",
    "ci_exercise_skip": "No problem. What got in the way?",
    "ci_exercise_skip_pain": "Pain",
    "ci_exercise_skip_time": "Time",
    "ci_exercise_skip_forgot": "Forgot",
    "ci_exercise_skip_other": "Other",
    "ci_exercise_pain": "What was the worst pain during the exercises, from 0 to 10?",
    "ci_morning": "This morning, after yesterday's exercise, how do you feel?",
    "ci_morning_better": "Better",
    "ci_morning_usual": "As usual",
    "ci_morning_worse": "Worse",
    "ci_stiffness": "How long were you stiff this morning?",
    "ci_stiffness_none": "Not stiff",
    "ci_stiffness_<5": "Under 5 min",
    "ci_stiffness_5-15": "5-15 min",
    "ci_stiffness_15-30": "15-30 min",
    "ci_stiffness_>30": "Over 30 min",
    "ci_swelling": "Swelling compared with yesterday?",
    "ci_swelling_less": "Less",
    "ci_swelling_same": "Same",
    "ci_swelling_more": "More",
    "ci_night": "Did pain wake you last night?",
    "ci_night_no": "No",
    "ci_night_once": "Once",
    "ci_night_several": "Several times",
    "ci_night_no_sleep": "Couldn't sleep",
    "ci_night_eased": "Did rest or changing position ease it?",
    "ci_night_eased_yes": "Yes, it eased",
    "ci_night_eased_no": "No, it didn't",
    "ci_confidence": "How confident do you feel doing your exercises, from 0 (not at all) to 10?",
    "ci_red_flags": (
        "Have you had any of these since yesterday? Tap each one that applies, then Done."
    ),
    "ci_flags_none": "None of these",
    "ci_flags_done": "Done",
    "ci_flags_hint": "Please tap the items that apply, or None of these.",
    "ci_emergency": (
        "Call {number} now.\n\nThese symptoms need medical help straight away. Your trainer has "
        "been told. I've stopped today's check-in here."
    ),
    "ci_urgent": (
        "Please contact your surgeon, physio or doctor today. If you can't reach them, use urgent "
        "care. Don't load this area until you've been cleared.\n\nYour trainer has been told. If "
        "your surgeon or physio told you something different, follow them."
    ),
    "ci_note": "Anything else for your trainer? Type it here, or tap Skip.",
    "ci_skip": "Skip",
    "ci_note_hint": "Please type your note, or tap Skip.",
    "ci_note_long": "That's a long one! Please keep it under 1000 characters.",
    "ci_told_emergency": "told to call {number} now",
    "ci_told_urgent": "told to contact their clinician today and not to load the area",
    "ci_told_routine": "given the usual pain-monitoring advice",
    "ci_note_for_trainer": "{client} left you a note in today's check-in.\n\n{note}",
    "ci_saved": "Thanks, {name}. Today's check-in is saved.",
    "ci_light_green": "🟢 Green: keep going.",
    "ci_light_amber": (
        "🟡 Amber: that's acceptable. Keep the same load, and don't add more for now."
    ),
    "ci_light_red": (
        "🔴 Red: do the easier version your trainer gave you, or skip that exercise today. "
        "Your trainer will review."
    ),
    "ci_routine": "I've passed this on to your trainer to review.",
    "ci_adherence": "Exercises today: {done} of {total} sets ({percent}).",
    "ci_streak": "Streak: {days} days in a row.",
    "ci_streak_one": "Streak: 1 day. A good start!",
    # -- programs (flows/staff/program.py): add its texts below this line --
    "program_no_clients": (
        "You don't have any clients yet. Send /invite to invite one, then set their program here."
    ),
    "program_pick_client": (
        "Whose program would you like to set? Pick a client, or type their name."
    ),
    "program_page": "Page {page} of {pages}.",
    "program_client_joining": "{name} (joining)",
    "program_next": "Next ›",
    "program_previous": "‹ Previous",
    "program_client_unknown": "I couldn't find a client by that name. Please pick one below.",
    "program_client_ambiguous": "More than one client has that name. Please pick one below.",
    "program_no_access": (
        "That client isn't on your list any more, so I've stopped here. /program shows your "
        "clients."
    ),
    "program_screen": (
        "Program for {client}\n"
        "Phase: {phase}\n"
        "Post-op: {post_op}\n"
        "Clinician: {clinician}\n"
        "Optional questions: {questions}{questions_note}\n\n"
        "Exercises:\n{exercises}\n\n"
        "Changes apply from {client}'s next check-in."
    ),
    "program_questions_none": "none",
    "program_questions_post_op": "\n(Post-op clients are always asked all five.)",
    "program_post_op_reminder": (
        "\n\nPost-op: follow the surgeon's or physio's protocol, and only make changes they "
        "have approved."
    ),
    "program_no_exercises": "None yet. Tap Add exercise to start.",
    "program_exercise_reps": "{position}. {name}: {sets} x {reps} reps",
    "program_exercise_seconds": "{position}. {name}: {sets} x {seconds} s",
    "program_exercise_link": "   Link: {link}",
    "program_exercise_notes": "   Notes: {notes}",
    "program_add": "Add exercise",
    "program_edit": "Edit exercise",
    "program_remove": "Remove exercise",
    "program_phase": "Phase",
    "program_questions": "Questions",
    "program_post_op_turn_on": "Post-op: turn on",
    "program_post_op_turn_off": "Post-op: turn off",
    "program_done": "Done",
    "program_clinician": "Clinician contact",
    "program_clinician_none": "not on file",
    "program_clinician_clear": "Clear it",
    "program_ask_clinician": (
        "Who is {client}'s physio, surgeon or doctor, and how can they be reached? For example: "
        "Dr Lee, Riverside Physio, 020 7946 0000. Alerts show it, so you can refer quickly."
    ),
    "program_bad_clinician": (
        "Please type a name and a phone number or email, up to {max} characters."
    ),
    "program_clinician_set": "Clinician contact: {clinician}",
    "program_back": "Back",
    "program_skip": "Skip",
    "program_full": (
        "This program already has {max} exercises, the most it can hold. Remove one to make room."
    ),
    "program_ask_name": "What's the exercise called? (for example: Straight-leg raises)",
    "program_bad_name": "Please send a name of 1 to 60 characters, with at least one letter.",
    "program_ask_sets": "How many sets of {name}? Pick or type a number from 1 to 10.",
    "program_bad_sets": "Please send a whole number of sets from 1 to 10.",
    "program_ask_amount": (
        "How many per set? Type the reps (like 10), or a hold time in seconds (like 30s)."
    ),
    "program_bad_amount": (
        "Please type reps from 1 to 100 (like 10), or seconds from 5 to 600 (like 30s)."
    ),
    "program_ask_link": (
        "Add a video or instruction link for {name}? Send it (starting with https://), or tap Skip."
    ),
    "program_bad_link": (
        "That doesn't look like a web link. Please send one starting with https:// or http://."
    ),
    "program_ask_notes": (
        "Any notes for {name}? (for example: slow on the way down; up to 200 characters) "
        "Or tap Skip."
    ),
    "program_bad_notes": "Please keep notes to 200 characters or fewer.",
    "program_added": "Added {name}.",
    "program_pick_edit": "Which exercise would you like to change?",
    "program_pick_remove": "Which exercise would you like to remove?",
    "program_pick_exercise_bad": "Please pick an exercise below, or type its number.",
    "program_exercise_gone": "That exercise isn't in the program any more.",
    "program_pick_field": "What would you like to change about {name}?",
    "program_field_name": "Name",
    "program_field_sets": "Sets",
    "program_field_amount": "Reps or seconds",
    "program_field_link": "Link",
    "program_field_notes": "Notes",
    "program_ask_new_name": "What should {name} be called now?",
    "program_ask_new_link": (
        "Send the new link for {name} (starting with https://), or tap No link to remove it."
    ),
    "program_ask_new_notes": (
        "Send the new notes for {name} (up to 200 characters), or tap No notes to clear them."
    ),
    "program_no_link": "No link",
    "program_no_notes": "No notes",
    "program_updated": "Updated {name}.",
    "program_confirm_remove": "Remove {name} from {client}'s program?",
    "program_remove_yes": "Yes, remove it",
    "program_remove_no": "Keep it",
    "program_removed": "Removed {name}.",
    "program_ask_phase": (
        "Which phase is {client} in? Pick one, or type a name (for example: return to sport)."
    ),
    "program_bad_phase": (
        "Please send a phase name of 1 to 30 characters, with at least one letter."
    ),
    "program_phase_rehab": "rehab",
    "program_phase_strength": "strength",
    "program_phase_performance": "performance",
    "program_phase_set": "Phase set to {phase}.",
    "program_ask_questions": (
        "Which optional check-in questions should {client} get? Tap one to switch it on or off, "
        "then Done."
    ),
    "program_ask_questions_post_op": (
        "{client} is post-op, so they're asked all five anyway; your choice applies if that "
        "changes."
    ),
    "program_question_on": "{label}: on",
    "program_question_off": "{label}: off",
    "program_post_op_now_on": (
        "{client} is now marked post-op: their check-ins ask every optional question and the "
        "red-flag screen each day."
    ),
    "program_post_op_now_off": "{client} is no longer marked post-op.",
    "program_finished": "All saved. {client}'s program applies from their next check-in.",
    # -- reminders and settings (checkin/reminder.py, account/preferences.py): add texts below --
    "reminder": "Hi {name}, time for today's check-in. It takes about two minutes.",
    "nudge": (
        "Hi {name}, no check-in yet today. A short one still helps your trainer see how "
        "you're doing."
    ),
    "rem_now": "Check in now",
    "rem_snooze": "Remind me in 1 h",
    "rem_skip": "Skip today",
    "rem_skip_ask": "No problem. What's the reason? Skipped days don't count against your streak.",
    "rem_skip_travel": "Travel",
    "rem_skip_sick": "Sick",
    "rem_skip_rest": "Rest day",
    "rem_skipped": "Today is skipped: no more reminders today and your streak is safe. Rest well.",
    "rem_skip_already": "Today is already off: no reminders, streak safe.",
    "rem_snoozed": "I'll remind you again at {time}.",
    "rem_already_done": "You've already checked in today. Nice work!",
    "client_unreachable": (
        "{client} has blocked the bot, so they won't get reminders or messages from me. "
        "You may want to reach them another way."
    ),
    "client_reachable": "{client} is back in touch with the bot: reminders start again.",
    "digest_header": "Your daily digest: {count} routine flag(s) to review.",
    "digest_line": "• {client} · {label} · {date}",
    "digest_footer": "/alerts to review and acknowledge them.",
    "settings_client": (
        "Your settings:\nDaily reminder: {time} ({zone})\nQuiet hours: {quiet}\n\n"
        "What would you like to change?"
    ),
    "settings_staff": (
        "Your settings:\nQuiet hours: {quiet}\nDaily digest of routine flags: {digest} ({zone})\n\n"
        "What would you like to change?"
    ),
    "settings_quiet_none": "off",
    "settings_change_time": "Reminder time",
    "settings_change_quiet": "Quiet hours",
    "settings_change_digest": "Digest time",
    "settings_done": "Done",
    "settings_closed": "All set.",
    "settings_time_ask": "What time should I remind you each day? Pick one or type it, e.g. 7:30.",
    "settings_time_saved": "Done: I'll remind you at {time} each day.",
    "time_in_quiet": (
        "So your {time} reminder gets through, your quiet hours are now {quiet}. "
        "/settings changes them."
    ),
    "settings_quiet_ask": (
        "When should I stay quiet? Type a span like 22:00-07:00, or pick one. "
        "Urgent alerts to trainers still come through."
    ),
    "settings_quiet_bad": "Please type a span like 22:00-07:00.",
    "settings_quiet_default": "Default ({quiet})",
    "settings_quiet_off": "No quiet hours",
    "settings_quiet_saved": "Done: quiet hours {quiet}.",
    "settings_digest_ask": "When should your daily digest of routine flags arrive? E.g. 17:30.",
    "settings_digest_saved": "Done: your digest comes at {time} each day.",
    # -- booking (booking/visitor.py, booking/availability.py): add texts below this line --
    "bk_members_only": "Free consults are for new visitors. /help shows what you can do here.",
    "bk_ask_name": "Let's book your free consult with one of our trainers. What's your first name?",
    "bk_bad_name": "Please send your first name (1 to 64 characters, with at least one letter).",
    "bk_ask_goal": "Nice to meet you, {name}! In a sentence or two, what would you like help with?",
    "bk_bad_text": "Please type a short answer (2 to 300 characters).",
    "bk_ask_trainer": "Would you like a particular trainer?",
    "bk_any_trainer": "Any trainer",
    "bk_no_trainers": (
        "Sorry, none of our trainers is taking consults right now. Please try again in a few days."
    ),
    "bk_ask_injury": (
        "Do you have a current injury, or have you had surgery recently? Tell me in a few words, "
        "or tap No."
    ),
    "bk_no_injury": "No",
    "bk_ask_flags": (
        "A quick safety check: do any of these apply to you right now? Tap each one that "
        "applies, then Done."
    ),
    "bk_ask_cleared": "Has a physio or doctor cleared you to exercise?",
    "bk_cleared_yes": "Yes, I'm cleared",
    "bk_cleared_no": "Not yet",
    "bk_cleared_unsure": "No one has checked",
    "bk_emergency": (
        "Call {number} now.\n\nThese symptoms need medical help straight away. I haven't booked "
        "a consult, and our trainer has been told. Once a doctor has seen you, you're welcome "
        "to come back and book."
    ),
    "bk_urgent": (
        "Please contact your surgeon, physio or doctor today. If you can't reach them, use urgent "
        "care. Don't load this area until you've been cleared.\n\nI haven't booked a consult "
        "for now, and our trainer has been told. Once a clinician has cleared you, send /book "
        "and we'll find a time. If your surgeon or physio told you something different, "
        "follow them."
    ),
    "bk_slots": (
        "Free times on {day} (your time, {zone}). Day {n} of {total}: pick one, or see other days."
    ),
    "bk_earlier": "‹ Earlier",
    "bk_later": "Later ›",
    "bk_pick_time": "Please tap one of the times below.",
    "bk_no_slots": (
        "Sorry, there are no free times in the next weeks. Please try /book again in a few days."
    ),
    "bk_taken": "Sorry, someone has just taken that time. Here are the times still free.",
    "bk_holding": (
        "{when} with {trainer} is yours for the next {minutes} minutes while you confirm.\n\n"
        "If you'd like {trainer} to be able to call you, share your phone number with the "
        "button below. It's optional."
    ),
    "bk_share_phone": "📱 Share my phone number",
    "bk_skip_phone": "Skip",
    "bk_phone_hint": "Please tap Share my phone number, or Skip.",
    "contact_not_yours": "That's someone else's contact card. I can only take your own number.",
    "bk_phone_saved": "Thanks, I've noted your number.",
    "bk_phone_skipped": "No problem, no phone number.",
    "bk_confirm_ask": (
        "Your free {minutes}-minute consult with {trainer}: {when} ({zone}). Shall I book it?"
    ),
    "bk_confirm": "Yes, book it",
    "bk_other_time": "Choose another time",
    "bk_hold_lost": "Sorry, that hold ran out and the time was released. Please pick again.",
    "bk_confirmed": (
        "You're booked! Free {minutes}-minute consult with {trainer} on {when} ({zone}).\n\n"
        "{reminders} The calendar file below adds it to your calendar."
    ),
    "bk_remind_both": "I'll remind you a day before and an hour before.",
    "bk_remind_hour": "I'll remind you an hour before.",
    "bk_ics_title": "Free consult with {trainer}",
    "bk_ics_details": "Your free consult with {trainer}. Reschedule or cancel in the chat.",
    "bk_ics_caption": "Add to your calendar",
    "bk_reschedule": "Reschedule",
    "bk_cancel": "Cancel",
    "bk_none": "none given",
    "bk_trainer_booked": (
        "New free consult: {name}, {when} ({zone}).\n\n"
        "Wants help with: {goal}\nInjury or surgery: {injury}\nCleared to exercise: "
        "{cleared}\nPhone: {phone}"
    ),
    "bk_trainer_moved": (
        "Consult moved: {name}, now {when} ({zone}), was {old}.\n\n"
        "Wants help with: {goal}\nInjury or surgery: {injury}\nCleared to exercise: "
        "{cleared}\nPhone: {phone}"
    ),
    "bk_trainer_cancel": "Cancel consult",
    "bk_trainer_cancelled": "{name} cancelled their consult on {when} ({zone}).",
    "bk_upcoming": "Your free consult with {trainer}: {when} ({zone}).",
    "bk_none_upcoming": "You have no upcoming consult. Send /book to book one.",
    "bk_not_movable": "This consult can't be changed any more.",
    "bk_cancelled_toast": "Cancelled.",
    "bk_cancel_ask": "Cancel your consult on {when}?",
    "bk_cancel_yes": "Yes, cancel",
    "bk_cancel_keep": "Keep it",
    "bk_kept": "Okay, your consult on {when} stays booked.",
    "bk_already_cancelled": "This consult is already cancelled.",
    "bk_already_past": "This consult's time has passed, so it can't be changed now.",
    "bk_ics_cancel_caption": "Removes it from your calendar",
    "bk_cancelled": "Your consult on {when} is cancelled. Would you like another time?",
    "bk_book_new": "Pick a new time",
    "bk_cancelled_by_trainer": (
        "Sorry, {trainer} had to cancel your consult on {when}.\n\nTheir note: {reason}\n\n"
        "Would you like to pick a new time?"
    ),
    "bk_ask_reason": (
        "Why are you cancelling {name}'s consult? I'll pass your note on and offer new times."
    ),
    "bk_trainer_cancel_done": "Cancelled. {name} has been told and offered new times.",
    "bk_already_over": "This consult is no longer open to change.",
    "bk_reminder_24h": "Reminder: your free consult with {trainer} is tomorrow, {when} ({zone}).",
    "bk_reminder_1h": (
        "Reminder: your free consult with {trainer} starts in an hour, {when} ({zone})."
    ),
    "bk_outcome_ask": "How did the consult with {name} on {when} go?",
    "bk_attended": "Attended",
    "bk_no_show": "No-show",
    "bk_outcome_not_now": "This consult can't be marked now.",
    "bk_marked_attended": "Marked as attended.",
    "bk_marked_no_show": "Marked as no-show.",
    "bk_no_show_follow_up": (
        "Hi {name}, we missed you at your consult with {trainer}. No worries, these things "
        "happen! Would you like to pick a new time?"
    ),
    "bk_list_none": "No upcoming consults.",
    "bk_list_header": "Upcoming consults ({count}, times in {zone}):",
    "bk_list_line": "• {when}: {name} with {trainer}",
    "av_summary": (
        "Your consult settings (times in {zone}):\n\n{week}\n\n"
        "Length: {length} min · Buffer: {buffer} min · Notice: {notice} h · "
        "Ahead: {horizon} days\nBlocked dates: {blocked}\nStatus: {accepting}"
    ),
    "av_off": "off",
    "av_none": "none",
    "av_accepting": "taking consults",
    "av_paused": "paused",
    "av_menu_day": "Weekly hours",
    "av_menu_length": "Length",
    "av_menu_buffer": "Buffer",
    "av_menu_notice": "Notice",
    "av_menu_horizon": "How far ahead",
    "av_menu_blocked": "Blocked dates",
    "av_menu_accepting": "Pause / resume",
    "av_menu_done": "Done",
    "av_ask_day": "Which day?",
    "av_ask_hours": (
        "Type your consult hours for {day}, like 09:00-12:00, 14:00-17:00 (your time), or off."
    ),
    "av_bad_hours": "Please type hours like 09:00-12:00, 14:00-17:00, or off.",
    "av_ask_length": "How long is a consult (minutes)?",
    "av_ask_buffer": "How many minutes between consults?",
    "av_ask_notice": "How many hours' notice do you need before a consult?",
    "av_ask_horizon": "How many days ahead can visitors book?",
    "av_ask_blocked": (
        "Type a date to block, like 24 Dec or 2026-12-24; type a blocked date again to unblock "
        "it. Tap Back when you're done."
    ),
    "av_back": "Back",
    "av_bad_date": "Please type a date like 24 Dec or 2026-12-24, or tap Back.",
    "av_past_date": "{day} has already passed. Please type a date from today on, or tap Back.",
    "av_blocked": "{day} is blocked.",
    "av_unblocked": "{day} is open again.",
    "av_done": "Saved. Visitors see your new times straight away.",
    # -- progress and clients (flows/progress/week.py, flows/staff/clients.py): add texts below --
    "progress_none": (
        "No check-ins yet, {name}. Send /checkin for today's: it takes about 30 seconds, and "
        "your days will show up here."
    ),
    "progress_header": "Your last {days} days, {name}:",
    "progress_day": "{date}: {details}",
    "progress_today": "{date} (today)",
    "progress_pain": "pain {pain}",
    "progress_sets": "exercises {done}/{total} sets",
    "progress_exercises_skipped": "exercises skipped ({reasons})",
    "progress_stopped": "check-in stopped early",
    "progress_day_skipped": "skipped ({reason})",
    "progress_paused": "paused",
    "progress_missing": "no check-in",
    "progress_not_yet": "no check-in yet",
    "progress_week": "Exercises, last 7 days: {done} of {total} sets ({percent}).",
    "progress_week_goal": "That's your {goal} goal reached. Nice work!",
    "progress_streak_none": "Streak: none running right now. Your next /checkin starts one.",
    "progress_trend_down": "going down",
    "progress_trend_flat": "about the same",
    "progress_trend_up": "going up",
    "progress_trend_one": (
        "Pain trend: {direction}. Your last check-in: {recent}, the one before: {before}."
    ),
    "progress_trend": (
        "Pain trend: {direction}. Your last {size} check-ins average {recent}, "
        "the {size} before {before}."
    ),
    "progress_trend_up_note": "If that worries you, tell your trainer in your next /checkin note.",
    "progress_show_7": "Show 7 days",
    "progress_show_14": "Show 14 days",
    "clients_none_trainer": (
        "You don't have any clients yet. Send /invite to invite one: they show up here once "
        "they join."
    ),
    "clients_none_admin": (
        "There are no clients yet. Trainers invite their clients with /invite (yours invites a "
        "trainer)."
    ),
    "clients_header_trainer": "Your clients ({count}), most in need of attention first:",
    "clients_header_admin": "All clients ({count}), most in need of attention first:",
    "clients_page": "Page {page} of {pages}.",
    "clients_pick": "Tap a client for their last 14 days.",
    "clients_line": "{n}. {name}{statuses}",
    "clients_with_trainer": "{name} (with {trainer})",
    "clients_last": "   last check-in {when}{light} · 7 days: {adherence} · streak {streak}",
    "clients_last_none": "   no check-in yet",
    "clients_today": "today",
    "clients_yesterday": "yesterday",
    "clients_days_ago": "{days} days ago",
    "clients_emergency": "🚨 emergency alert open",
    "clients_urgent": "⚠️ urgent alert open",
    "clients_routine": "{count} routine flag(s) to review",
    "clients_paused_today": "paused today",
    "clients_paused_until": "paused until {date}",
    "clients_not_cleared": "not cleared yet",
    "clients_unreachable": "unreachable",
    "clients_onboarding": "onboarding",
    "clients_alerts_hint": "/alerts to review and acknowledge alerts.",
    "clients_card_summary": "7 days: {adherence} · streak {streak}{statuses}",
    "clients_previous": "‹ Previous",
    "clients_next": "Next ›",
    "clients_program": "Program",
    "clients_back": "‹ All clients",
    # -- alerts (flows/checkin/alert.py): add its texts below this line --
    # first lines stay neutral: they show on lock screens (TRIAGE.md section 5 rule 8)
    "alert_first_emergency": "EMERGENCY alert: {client} needs your attention now.",
    "alert_first_urgent": "Urgent alert: please review {client}'s check-in today.",
    "alert_first_visitor_emergency": (
        "EMERGENCY alert: {client}, a visitor asking for a consult, needs your attention now."
    ),
    "alert_first_visitor_urgent": "Urgent alert: please review {client}'s consult request today.",
    "alert_flagged": "Flagged:",
    "alert_rule": "• {label}",
    "alert_rule_again": "• {label} (raised {times} times, still open)",
    "alert_answers": "Answers:",
    "alert_pain_now": "Pain now: {pain_now}/10",
    "alert_exercise_pain": "Worst pain during exercises: {exercise_pain}/10",
    "alert_night": (
        "Woken by pain last night: {night_waking}; eased by rest or position: {night_eased}"
    ),
    "alert_night_once": "once",
    "alert_night_several": "several times",
    "alert_night_no_sleep": "couldn't sleep",
    "alert_red_flags": "Ticked on the symptom screen: {red_flags}",
    "alert_note": "Their note, as written: {note}",
    "alert_intake_goal": "Wants help with, as written: {text}",
    "alert_intake_injury": "Injury or surgery, as written: {text}",
    "alert_visitor_not_booked": "No consult was booked.",
    "alert_series_pain": "Pain now, last 7 days ({first} to {last}): {values}",
    "alert_series_exercise": "Exercise pain, same days: {values}",
    "alert_time": "Time: {time} ({zone})",
    "alert_told": "{client}: {told}.",
    "alert_action_emergency": (
        "Suggested action: contact the client now; they were told to call {emergency}."
    ),
    "alert_action_urgent": (
        "Suggested action: contact the client today; advise them to see their clinician."
    ),
    "alert_action_visitor_emergency": (
        "Suggested action: contact the visitor now; they were told to call {emergency}."
    ),
    "alert_action_visitor_urgent": (
        "Suggested action: contact the visitor today; advise them to see their clinician "
        "before a consult."
    ),
    "alert_clinician": "Clinician contact: {clinician}",
    "alert_clinician_none": "Clinician contact: not on file (add it in /program)",
    "alert_ack": "Acknowledge",
    "alert_message_client": "Message client",
    "alert_history": "History",
    "alert_message_visitor": "Message visitor",
    "alert_acknowledged": "Acknowledged by {name} at {time}",
    "alert_acknowledged_toast": "Acknowledged.",
    "alert_already_acknowledged": "Already acknowledged by {name} at {time}.",
    "alert_severity_emergency": "EMERGENCY",
    "alert_severity_urgent": "Urgent",
    "alert_severity_routine": "Routine",
    "alert_escalated_first_emergency": "Escalated EMERGENCY alert: {client} needs attention now.",
    "alert_escalated_first_urgent": "Escalated urgent alert: please review {client}'s check-in.",
    "alert_escalated_first_visitor_emergency": (
        "Escalated EMERGENCY alert: {client}, a visitor, needs attention now."
    ),
    "alert_escalated_first_visitor_urgent": (
        "Escalated urgent alert: please review {client}'s consult request."
    ),
    "alert_escalated_why_visitor": (
        "Raised at {time} ({zone}) for {trainer}, about a visitor asking for a consult, not "
        "acknowledged within {after}."
    ),
    "alert_escalated_why": (
        "Raised at {time} ({zone}) for {trainer}'s client, not acknowledged within {after}."
    ),
    "alert_minutes": "{n} minutes",
    "alert_hours": "{n} hours",
    "alert_escalated_action_emergency": (
        "Suggested action: make sure someone contacts the client now."
    ),
    "alert_escalated_action_urgent": (
        "Suggested action: make sure someone contacts the client today."
    ),
    "alert_escalated_action_visitor_emergency": (
        "Suggested action: make sure someone contacts the visitor now."
    ),
    "alert_escalated_action_visitor_urgent": (
        "Suggested action: make sure someone contacts the visitor today."
    ),
    "alerts_none": "No open alerts. Nice.",
    "alerts_header": "Open alerts, most severe first ({count}):",
    "alerts_line": "{n}. {severity} · {client} · {label} · {date} · raised {times}×",
    "alerts_more": "…and {count} more. Acknowledge some to see the rest.",
    "alerts_ack_n": "Acknowledge #{n}",
    "alerts_visitor": "{name} (visitor)",
    "relay_ask": "Type your message to {client}; I'll pass it on as from you. /cancel to stop.",
    "relay_empty": "Please type your message as text.",
    "relay_too_long": "That's over {limit} characters. Please shorten it.",
    "relay_to_client": "Message from {trainer}, your trainer:\n\n{text}",
    "relay_to_client_from_centre": "Message from {trainer} at your training centre:\n\n{text}",
    "relay_to_visitor": "Message from {trainer}, one of our trainers:\n\n{text}",
    "relay_sent": "Sent to {client}.",
    "relay_reply": "Reply",
    "reply_ask": "Type your reply to {trainer}; I'll pass it on. /cancel to stop.",
    "reply_to_trainer": "{client} replied to your message.\n\n{text}",
    "history_header": (
        "{client}, last 14 days\n(date: pain now / exercise pain / exercises done / light / rules)"
    ),
    "history_row": "{date}: {pain} / {exercise} / {adherence} / {light} / {rules}",
    "history_missing": "{date}: no check-in",
    "history_paused": "{date}: paused",
    "history_visitor": "{client} is a visitor from the consult intake: there are no check-ins.",
    # -- your data (flows/account/mydata.py): add its texts below this line --
    "mydata_caption": (
        "Everything mendbot stores about you, as a JSON file: your details, profile, program, "
        "check-ins, pauses, alerts, reminders, consults and the messages I sent you."
    ),
    "mydata_nothing": "I don't have anything stored about you.",
    "deleteme_staff": (
        "Staff accounts can't be deleted from the chat. Please ask the centre's admin to "
        "remove your account."
    ),
    "deleteme_ask": (
        "This deletes everything mendbot stores about you: your details, profile, program, "
        "check-ins, pauses, alerts, reminders, messages and consult bookings.\n\n"
        "{told}\n\n"
        "It can't be undone. Want a copy first? Send /mydata before you answer."
    ),
    "deleteme_tell_trainer": (
        "{trainer}, your trainer, will be told you've left mendbot (nothing about your health)."
    ),
    "deleteme_tell_consult": "Any consult you've booked is cancelled, and the trainer told.",
    "deleteme_yes": "Delete everything",
    "deleteme_keep": "Keep my data",
    "deleteme_kept": "Okay, nothing was deleted.",
    "deleteme_done": (
        "Done: everything mendbot stored about you is deleted. Thank you, and all the best "
        "with your recovery. Goodbye!"
    ),
    # to trainers (proactive; no health details)
    "deleteme_trainer": "{name} has deleted their data and left mendbot.",
    "deleteme_trainer_consult": (
        "{name} has deleted their data, so their free consult on {when} ({zone}) is cancelled."
    ),
}

TEXTS: dict[str, dict[str, str]] = {"en": EN}


def t(key: str, locale: str = "en", **values: Any) -> str:
    """The text for `key` in `locale` (English when missing), filled with `values`."""
    template = TEXTS.get(locale, EN).get(key) or EN[key]
    return template.format(**values) if values else template
