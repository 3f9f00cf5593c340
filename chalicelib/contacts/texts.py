"""The one message catalogue (ru, en) and the step that puts its texts on a resolution.

The resolver stays language-free (channels and reason codes); this step adds `label`, `hint`,
`expected_reply` and excluded `message`s for the buyer's language. Every Channel and every Reason must
have both languages (a test iterates the enums); a code missing at runtime falls back to the code itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from chalicelib.contacts.hours import zone
from chalicelib.models.answers import Locale
from chalicelib.models.common import Channel, Reason
from chalicelib.models.resolution import ContactOption, ExcludedChannel, ExpectedReply
from chalicelib.models.settings import SellerSettings

LABELS: dict[Channel, dict[Locale, str]] = {
    Channel.CHAT: {Locale.RU: "Написать продавцу", Locale.EN: "Message the seller"},
    Channel.EMAIL: {Locale.RU: "Написать продавцу на e-mail", Locale.EN: "E-mail the seller"},
    Channel.PHONE: {Locale.RU: "Позвонить продавцу", Locale.EN: "Call the seller"},
    Channel.SUPPORT: {Locale.RU: "Написать в поддержку", Locale.EN: "Contact support"},
}

REASON_MESSAGES: dict[Reason, dict[Locale, str]] = {
    Reason.CHAT_ENABLED: {Locale.RU: "Продавец отвечает в чате", Locale.EN: "The seller answers in the in-app chat"},
    Reason.CHAT_DISABLED: {Locale.RU: "Продавец не принимает сообщения в чате", Locale.EN: "The seller does not take chat messages"},
    Reason.EMAIL_ENABLED: {Locale.RU: "Продавец отвечает по e-mail", Locale.EN: "The seller answers by e-mail"},
    Reason.EMAIL_DISABLED: {Locale.RU: "Продавец не указал e-mail", Locale.EN: "The seller offers no e-mail"},
    Reason.PHONE_WITHIN_HOURS: {Locale.RU: "Телефон продавца сейчас работает", Locale.EN: "The seller's phone is open now"},
    Reason.PHONE_NO_HOURS_SET: {Locale.RU: "Телефон продавца работает круглосуточно", Locale.EN: "The seller's phone is open around the clock"},
    Reason.PHONE_OUTSIDE_HOURS: {Locale.RU: "Телефон продавца сейчас не работает", Locale.EN: "The seller's phone is closed now"},
    Reason.PHONE_DISABLED: {Locale.RU: "Продавец не принимает звонки", Locale.EN: "The seller takes no calls"},
    Reason.PLATFORM_TOPIC: {  # the topic, not a list: an admin may route any topic to support first
        Locale.RU: "Этим вопросом в первую очередь занимается поддержка площадки",
        Locale.EN: "Platform support handles this topic first",
    },
    Reason.LAST_RESORT: {Locale.RU: "Поддержка поможет, если продавец не ответит", Locale.EN: "Support helps if the seller does not answer"},
    Reason.SELLER_HAS_NO_CHANNELS: {
        Locale.RU: "Продавец не указал способов связи, поможет поддержка",
        Locale.EN: "The seller offers no channel; support will help",
    },
    Reason.SELLER_SETTINGS_MISSING: {
        Locale.RU: "Продавец ещё не настроил способы связи",
        Locale.EN: "The seller has not set up contact channels yet",
    },
    Reason.SETTINGS_UNAVAILABLE: {
        Locale.RU: "Способы связи продавца сейчас недоступны, попробуйте позже",
        Locale.EN: "The seller's channels are unavailable right now; try again later",
    },
    Reason.SELLER_RESTRICTED: {
        Locale.RU: "Этот продавец доступен только через поддержку площадки",
        Locale.EN: "This seller can be reached through platform support only",
    },
    Reason.TOPIC_SUPPORT_ONLY: {
        Locale.RU: "По этой теме отвечает только поддержка площадки",
        Locale.EN: "Platform support alone answers questions on this topic",
    },
    Reason.CHAT_DISABLED_BY_PLATFORM: {
        Locale.RU: "Чат между покупателями и продавцами сейчас отключён площадкой",
        Locale.EN: "Chat with sellers is switched off on the platform for now",
    },
    Reason.EMAIL_DISABLED_BY_PLATFORM: {
        Locale.RU: "Переписка по e-mail между покупателями и продавцами сейчас отключена площадкой",
        Locale.EN: "E-mail to sellers is switched off on the platform for now",
    },
    Reason.PHONE_DISABLED_BY_PLATFORM: {
        Locale.RU: "Звонки продавцам на площадке сейчас отключены",
        Locale.EN: "Calls to sellers are switched off on the platform for now",
    },
    Reason.NOT_IN_ROLLOUT: {
        Locale.RU: "Этот способ связи пока доступен не всем покупателям",
        Locale.EN: "This channel is not open to every buyer yet",
    },
    Reason.CONTACT_LIMIT_REACHED: {
        Locale.RU: "Сегодняшний лимит показа контактов продавцов исчерпан; поддержка доступна",
        Locale.EN: "You have reached today's limit of seller contacts shown; support remains open",
    },
}

# Support options explain themselves (why support, why first); a seller's open channel needs no hint.
HINT_REASONS = frozenset(
    {
        Reason.PLATFORM_TOPIC,
        Reason.SELLER_HAS_NO_CHANNELS,
        Reason.SELLER_SETTINGS_MISSING,
        Reason.SETTINGS_UNAVAILABLE,
        Reason.SELLER_RESTRICTED,
        Reason.TOPIC_SUPPORT_ONLY,
        Reason.CONTACT_LIMIT_REACHED,
        # Support alone, because the platform left out every channel the seller offers.
        Reason.CHAT_DISABLED_BY_PLATFORM,
        Reason.EMAIL_DISABLED_BY_PLATFORM,
        Reason.PHONE_DISABLED_BY_PLATFORM,
        Reason.NOT_IN_ROLLOUT,
    }
)

# A reason that also names a left-out channel, worded for the support button: "this channel is not open to every
# buyer yet" next to "Contact support" would say support itself is limited.
SUPPORT_HINTS: dict[Reason, dict[Locale, str]] = {
    Reason.NOT_IN_ROLLOUT: {
        Locale.RU: "Написать продавцу напрямую пока могут не все покупатели, поможет поддержка",
        Locale.EN: "Contacting the seller directly is not open to every buyer yet; support will help",
    },
}

TEXTS: dict[str, dict[Locale, str]] = {
    "opens_at": {Locale.RU: "Откроется {day} в {time} ({zone})", Locale.EN: "Opens {day} at {time} ({zone} time)"},
    "today": {Locale.RU: "сегодня", Locale.EN: "today"},
    "contact_limit_chat_open": {  # the withheld e-mail/phone's hint when the seller's chat is offered next to it
        Locale.RU: "Сегодняшний лимит показа контактов продавцов исчерпан; чат и поддержка доступны",
        Locale.EN: "You have reached today's limit of seller contacts shown; chat and support remain open",
    },
    "tomorrow": {Locale.RU: "завтра", Locale.EN: "tomorrow"},
    "seller_declared": {Locale.RU: "Продавец обычно отвечает в течение {hours} ч", Locale.EN: "The seller usually replies within {hours} {unit}"},
    "platform_target": {Locale.RU: "Поддержка отвечает в течение {hours} ч", Locale.EN: "Support replies within {hours} {unit}"},
    "measured": {Locale.RU: "Продавец обычно отвечает в течение {hours} ч", Locale.EN: "The seller usually replies within {hours} {unit}"},
}

WEEKDAY_NAMES: dict[Locale, tuple[str, ...]] = {
    Locale.RU: ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье"),
    Locale.EN: ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday"),
}

NEXT_WEEKDAY_NAMES: dict[Locale, tuple[str, ...]] = {
    Locale.RU: (
        "в следующий понедельник", "в следующий вторник", "в следующую среду", "в следующий четверг",
        "в следующую пятницу", "в следующую субботу", "в следующее воскресенье",
    ),
    Locale.EN: ("next Monday", "next Tuesday", "next Wednesday", "next Thursday", "next Friday", "next Saturday", "next Sunday"),
}

MONTH_NAMES: dict[Locale, tuple[str, ...]] = {
    Locale.RU: ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"),
    Locale.EN: ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}


def label(channel: Channel, locale: Locale) -> str:
    return LABELS.get(channel, {}).get(locale, channel.value)


def reason_message(reason: Reason, locale: Locale) -> str:
    return REASON_MESSAGES.get(reason, {}).get(locale, reason.value)


def opens_hint(opening: datetime, timezone: str, now: datetime, locale: Locale) -> str:
    """When a closed phone opens, in the phone's own time zone: "Opens tomorrow at 09:00 (Europe/Moscow time)"."""
    tz = zone(timezone)
    local_opening, local_now = opening.astimezone(tz), now.astimezone(tz)
    if local_opening.date() == local_now.date():
        day = TEXTS["today"][locale]
    elif local_opening.date() == (local_now + timedelta(days=1)).date():
        day = TEXTS["tomorrow"][locale]
    elif (days_ahead := (local_opening.date() - local_now.date()).days) < 7:
        day = WEEKDAY_NAMES[locale][local_opening.weekday()]
    elif days_ahead == 7:  # today's weekday, a week on: "on Friday" said on a Friday reads as today
        day = NEXT_WEEKDAY_NAMES[locale][local_opening.weekday()]
    else:  # further (a clock change skipped the next opening): "next Sunday" said on a Saturday reads as tomorrow
        weekday, month = WEEKDAY_NAMES[locale][local_opening.weekday()], MONTH_NAMES[locale][local_opening.month - 1]
        day = f"{weekday}, {local_opening.day} {month}," if locale is Locale.RU else f"{weekday} {local_opening.day} {month}"
    return TEXTS["opens_at"][locale].format(day=day, time=f"{local_opening:%H:%M}", zone=timezone)


@lru_cache(maxsize=1024)  # a few hundred (hours, source, locale) at most; the same object serves every answer
def expected_reply(hours: int, source: Literal["seller_declared", "platform_target", "measured"], locale: Locale) -> ExpectedReply:
    unit = "hour" if hours == 1 else "hours"
    return ExpectedReply(hours=hours, text=TEXTS[source][locale].format(hours=hours, unit=unit), source=source)


def localize_options(
    options: list[ContactOption], settings: SellerSettings | None, locale: Locale, now: datetime, support_target_hours: int,
    measured_hours: int | None = None,
) -> list[ContactOption]:
    """`measured_hours`: the seller's measured median reply time (5 replies or more), shown on the chat option."""
    chat_offered = any(option.channel is Channel.CHAT for option in options)
    localized = [_localize(option, settings, locale, now, support_target_hours, chat_offered) for option in options]
    if measured_hours is None:
        return localized
    measured = expected_reply(measured_hours, "measured", locale)
    return [option.model_copy(update={"expected_reply": measured}) if option.channel is Channel.CHAT else option for option in localized]


def localize_excluded(excluded: list[ExcludedChannel], locale: Locale) -> list[ExcludedChannel]:
    return [item.model_copy(update={"message": reason_message(item.reason, locale)}) for item in excluded]


def _localize(
    option: ContactOption,
    settings: SellerSettings | None,
    locale: Locale,
    now: datetime,
    support_target_hours: int,
    chat_offered: bool,
) -> ContactOption:
    hint = None
    if option.channel is Channel.SUPPORT and option.reason in SUPPORT_HINTS:
        hint = SUPPORT_HINTS[option.reason][locale]
    elif option.reason is Reason.CONTACT_LIMIT_REACHED and chat_offered:
        hint = TEXTS["contact_limit_chat_open"][locale]
    elif option.reason in HINT_REASONS:
        hint = reason_message(option.reason, locale)
    elif option.reason is Reason.PHONE_OUTSIDE_HOURS:
        hours = settings.phone.hours if settings else None
        if option.next_available_at is not None and hours is not None:
            hint = opens_hint(option.next_available_at, hours.timezone, now, locale)
        else:
            hint = reason_message(option.reason, locale)
    reply = None
    if option.channel is Channel.SUPPORT:
        reply = expected_reply(support_target_hours, "platform_target", locale)
    elif settings is not None and option.channel in (Channel.CHAT, Channel.EMAIL):
        declared = getattr(settings, option.channel.value).reply_within_hours
        if declared is not None:
            reply = expected_reply(declared, "seller_declared", locale)
    return option.model_copy(update={"label": label(option.channel, locale), "hint": hint, "expected_reply": reply})
