"""A messenger named, then the contact on it: "tg ivan_petrov", "telegram: ivan", "в телеге ivan_shop",
"ватсап 8 916 ...", "skype: ivan.petrov". Pure.

Naming a messenger is no contact ("пишите в чат, не в телеграм", "we answer on WhatsApp or Telegram"); what follows
the name is one when it can be an account on it:
- a Latin name of 3-32 letters, digits, "_" or "." (Telegram, Instagram and Skype names are Latin; a Russian word
  after the name is ordinary text), unless it is an ordinary English word (STOP_WORDS: "telegram channel", "whatsapp
  or viber", "on telegram today");
- 7 to 15 digits after a messenger that runs on phone numbers (WhatsApp, Viber, Telegram): "ватсап 123-45-67"
  is a number on WhatsApp; "инста 1000000 подписчиков" is not one.
The finding covers the name and the account, so neither half is left to point at the other. Names that are common
words ("signal", "line", "max") are not taken: "when the signal went" is prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

# Messenger names as people write them, Russian ones with their case endings ("в телеге", "по вацапу").
_PHONE_BASED: Final = (
    r"telegram|teleg|телеграмм?[аеуы]?|телег[аеиу]|тг|tg|тлг|tlg"
    r"|whats\s?app|watsapp|wa|вотсап+[аеу]?|ватсап+[аеу]?|вацап+[аеу]?|ватцап+[аеу]?"
    r"|viber|вайбер[аеу]?|вибер[аеу]?"
)
_OTHERS: Final = (
    r"skype|скайп[аеу]?|instagram|insta|inst|ig|инст[аеуы]|инстаграмм?[аеу]?|vk|вк|вконтакте|discord|дискорд[аеу]?"
)
_ACCOUNT_WORDS: Final = r"ник|никнейм|логин|аккаунт|профиль|имя|nick|nickname|username|user|login|account|profile|handle|name|id"
_MENTION: Final = re.compile(
    rf"(?<![\w@./-])(?:(?P<phone_based>{_PHONE_BASED})|(?P<other>{_OTHERS}))(?!\w)"
    # What follows is looked at, not consumed: "on WhatsApp tg ivan" has a second name to start from.
    r"(?=(?:[ \t]{0,3}[:=\-–—>][ \t]{0,3}|[ \t]{1,3})"
    # "telegram username ivan", "в инсте ник: shop.moda": a word naming the account may come first.
    rf"(?:(?:{_ACCOUNT_WORDS})[ \t]{{0,3}}[:=\-–—]?[ \t]{{0,3}}(?=\S))?"
    r"(?:(?P<handle>@?[A-Za-z][A-Za-z0-9_.]{1,31})(?![\w@])|(?P<number>\+?\d(?:[ \t().\-]{0,2}\d){6,14})(?!\d)))",
    re.IGNORECASE,
)
# Ordinary English words that follow a messenger's name in a sentence. Not exhaustive: a word missing here is
# redacted, which costs a reader one word, not a contact.
STOP_WORDS: Final = frozenset(
    """
    a about account accounts after again all also am an and answer any app are as at available back be because been
    before best bot bots business but by bye call calls can channel channels chat chats contact could day days desktop
    did do does down either else even evening every first for from group groups has have hello here hey hi hours how
    i id if in info instead into is it its just last later let like link login me message messages messenger more
    morning most my name next nick no nor not now number of ok okay on only or other our out over page please post
    posts premium profile reels reply right same see send so some soon status stories story support than thank thanks
    that the their them then there these they this those through to today tomorrow tonight too under until up us use
    used user username using very via video voice was we web week were what when where which while who why will with
    without works would yes yesterday yet you your
    telegram whatsapp viber signal skype instagram insta discord vk
    """.split()
)


def messenger_mentions(text: str) -> Iterator[tuple[int, int]]:
    """Where a messenger's name is followed by an account on it (start, end in `text`)."""
    for match in _MENTION.finditer(text):
        handle = match["handle"]
        if handle is not None:
            name = handle.lstrip("@").rstrip(".")
            if len(name) < 3 or name.lower() in STOP_WORDS:
                continue
            yield match.start(), match.start("handle") + len(handle.rstrip("."))
        elif match["phone_based"] is not None:
            yield match.start(), match.end("number")
