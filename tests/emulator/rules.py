"""Which Discord rules the emulator enforces, and the limits from Discord's documentation.

Every rule is on by default. A test that needs one off says so where it builds the
emulator (``DiscordEmulator(rules=Rules(rate_limits=False))``) or on a running one
(``emulator.rules.rate_limits = False``). ``docs/CONFORMANCE.md`` says where each rule
comes from.

The limit checks here add to the spec (:mod:`tests.emulator.spec`): the spec states some
lengths and counts, Discord's documentation states the rest, and where they disagree
(message content: 4,000 in the spec, 2,000 documented) the documentation wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.emulator.spec import FormErrors, FormPath, available_locales

MiB = 1024 * 1024

# Messages and embeds (Discord docs: Message resource, Embed limits).
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX, EMBED_DESCRIPTION_MAX = 256, 4096
EMBED_FIELDS_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX = 25, 256, 1024
EMBED_FOOTER_MAX, EMBED_AUTHOR_MAX, EMBED_TOTAL_MAX = 2048, 256, 6000
# Components (Discord docs: Component reference).
ACTION_ROWS_MAX, BUTTONS_PER_ROW_MAX = 5, 5
CUSTOM_ID_MAX, LABEL_MAX, SELECT_OPTIONS_MAX, PLACEHOLDER_MAX = 100, 80, 25, 150
# Modals (Discord docs: Interaction Response Object, Modal; Component reference, Text Input).
MODAL_TITLE_MAX, MODAL_ROWS_MAX = 45, 5
TEXT_INPUT_LABEL_MAX, TEXT_INPUT_VALUE_MAX, TEXT_INPUT_PLACEHOLDER_MAX = 45, 4000, 100
COMPONENT_TEXT_INPUT, COMPONENT_LABEL = 4, 18
# Application commands (Discord docs: Application Commands).
COMMAND_NAME_MAX, DESCRIPTION_MAX, OPTIONS_MAX, CHOICES_MAX, CHOICE_NAME_MAX = 32, 100, 25, 25, 100
CHOICE_STRING_VALUE_MAX = 100
COMMAND_TOTAL_MAX = 4000  # name, description and every option's names, descriptions, choices
AUTOCOMPLETE_RESULTS_MAX = 25
# Threads (Discord docs: Start Thread from Message, Start Thread in Forum or Media Channel).
THREAD_NAME_MAX = 100
# Files (Discord docs: Uploading Files): per file, without boosts.
FILE_SIZE_MAX = 10 * MiB
FILES_MAX = 10

OPTION_SUB_COMMAND, OPTION_SUB_COMMAND_GROUP, OPTION_STRING = 1, 2, 3
COMPONENT_ACTION_ROW, COMPONENT_BUTTON = 1, 2
SELECT_TYPES = (3, 5, 6, 7, 8)
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3


@dataclass
class Rules:
    """Switches for the rules the emulator enforces (all on by default).

    Attributes:
        spec: request bodies validated against ``openapi.json`` (400 50035).
        limits: the documented lengths and counts; files over ``file_size_max`` (413 40005).
        interactions: callback types by interaction type, the 3 s deadline, the 15 min token,
            the first followup after a deferred reply editing it, ephemeral messages hidden
            from channel routes.
        permissions: the bot's channel permissions set by the test (403 50001/50013).
        rate_limits: per-route buckets, the global limit, 429s.
        attachments: filenames sanitised, ``attachment://`` names a file of the request,
            attachment URLs expire.
    """

    spec: bool = True
    limits: bool = True
    interactions: bool = True
    permissions: bool = True
    rate_limits: bool = True
    attachments: bool = True
    file_size_max: int = FILE_SIZE_MAX


def _too_long(errors: FormErrors, path: FormPath, value: Any, maximum: int, minimum: int = 0) -> None:
    if not isinstance(value, str | list):
        return
    if len(value) > maximum:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {maximum} or fewer in length.")
    elif len(value) < minimum:
        errors.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {minimum} and {maximum} in length.")


def _embed_chars(embed: dict[str, Any]) -> int:
    fields = embed.get("fields") or []
    parts = [embed.get("title"), embed.get("description"), (embed.get("footer") or {}).get("text"),
             (embed.get("author") or {}).get("name"),
             *(f.get("name") for f in fields), *(f.get("value") for f in fields)]
    return sum(len(p) for p in parts if isinstance(p, str))


def check_message(body: dict[str, Any] | None) -> FormErrors:
    """The documented message limits: content, embeds and components of one message body."""
    errors = FormErrors()
    if not isinstance(body, dict):
        return errors
    _too_long(errors, ("content",), body.get("content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    _too_long(errors, ("embeds",), embeds, EMBEDS_MAX)
    for i, embed in enumerate(embeds if isinstance(embeds, list) else []):
        at: FormPath = ("embeds", i)
        _too_long(errors, (*at, "title"), embed.get("title"), EMBED_TITLE_MAX)
        _too_long(errors, (*at, "description"), embed.get("description"), EMBED_DESCRIPTION_MAX)
        _too_long(errors, (*at, "footer", "text"), (embed.get("footer") or {}).get("text"), EMBED_FOOTER_MAX)
        _too_long(errors, (*at, "author", "name"), (embed.get("author") or {}).get("name"), EMBED_AUTHOR_MAX)
        fields = embed.get("fields") or []
        _too_long(errors, (*at, "fields"), fields, EMBED_FIELDS_MAX)
        for j, item in enumerate(fields):
            _too_long(errors, (*at, "fields", j, "name"), item.get("name"), FIELD_NAME_MAX, 1)
            _too_long(errors, (*at, "fields", j, "value"), item.get("value"), FIELD_VALUE_MAX, 1)
    if sum(_embed_chars(e) for e in embeds if isinstance(e, dict)) > EMBED_TOTAL_MAX:
        errors.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")
    components = body.get("components") or []
    _too_long(errors, ("components",), components, ACTION_ROWS_MAX)
    for i, row in enumerate(components if isinstance(components, list) else []):
        children = row.get("components") or [] if isinstance(row, dict) else []
        if isinstance(row, dict) and row.get("type") == COMPONENT_ACTION_ROW:
            _too_long(errors, ("components", i, "components"), children, BUTTONS_PER_ROW_MAX)
        for j, child in enumerate(children):
            _check_component(errors, ("components", i, "components", j), child)
    return errors


def _check_component(errors: FormErrors, at: FormPath, component: dict[str, Any]) -> None:
    if "custom_id" in component:
        _too_long(errors, (*at, "custom_id"), component["custom_id"], CUSTOM_ID_MAX, 1)
    _too_long(errors, (*at, "label"), component.get("label"), LABEL_MAX)
    _too_long(errors, (*at, "placeholder"), component.get("placeholder"), PLACEHOLDER_MAX)
    if component.get("type") in SELECT_TYPES and "options" in component:
        _too_long(errors, (*at, "options"), component["options"], SELECT_OPTIONS_MAX, 1)
        for k, option in enumerate(component["options"] or []):
            _too_long(errors, (*at, "options", k, "label"), option.get("label"), LABEL_MAX, 1)


def _name_char(c: str) -> bool:
    """A character of ``^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]$``."""
    return (unicodedata.category(c)[0] in "LN" or c in "-_"
            or unicodedata.name(c, "").startswith(("DEVANAGARI ", "THAI ")))


def valid_command_name(name: Any) -> bool:
    """Discord's CHAT_INPUT name rule, ``^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``:
    1-32 letters, digits, ``-`` or ``_`` (or Devanagari and Thai marks), lowercase."""
    return (isinstance(name, str) and 1 <= len(name) <= COMMAND_NAME_MAX and name == name.lower()
            and all(map(_name_char, name)))


def valid_menu_name(name: Any) -> bool:
    """A user or message command's name: 1-32 characters, any case, spaces inside."""
    return isinstance(name, str) and 1 <= len(name) <= COMMAND_NAME_MAX and name == name.strip()


def _check_localizations(errors: FormErrors, at: FormPath, item: dict[str, Any], *, menu: bool = False) -> None:
    """``name_localizations`` and ``description_localizations`` as Discord checks them: keyed
    by Discord's locale codes, each value held to its base field's rule."""
    for field, valid in (("name_localizations", valid_menu_name if menu else valid_command_name),
                         ("description_localizations", None)):
        localized = item.get(field)
        if not isinstance(localized, dict):
            continue
        for locale, value in localized.items():
            here = (*at, field, locale)
            if locale not in available_locales():
                errors.add(here, "LOCALE_INVALID", f"Invalid locale: \"{locale}\"")
            elif valid is None:
                if menu and value:
                    errors.add(here, "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                               "Context menu commands cannot have a description")
                elif not menu:
                    _too_long(errors, here, value if isinstance(value, str) else "", DESCRIPTION_MAX, 1)
            elif not valid(value):
                errors.add(here, "APPLICATION_COMMAND_INVALID_NAME",
                           f"Command name is invalid (1-{COMMAND_NAME_MAX} characters"
                           + (")" if menu else " of lowercase letters, digits, - or _)"))


def _localized_names(items: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    """Per locale, the names ``items`` show there (a localized name, else the base name)."""
    items = list(items)
    locales = {loc for item in items for loc in (item.get("name_localizations") or {})}
    return {loc: [(item.get("name_localizations") or {}).get(loc, item.get("name")) for item in items]
            for loc in locales}


def _check_unique_localized(errors: FormErrors, at: FormPath, items: list[dict[str, Any]], indices: list[int]) -> None:
    """Names stay unique in every locale, as the base names must."""
    for loc, names in sorted(_localized_names(items).items()):
        seen: set[Any] = set()
        for index, name in zip(indices, names, strict=True):
            if name in seen:
                errors.add((*at, index, "name_localizations", loc), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                           "Application command names must be unique")
            seen.add(name)


def _check_name_and_description(errors: FormErrors, at: FormPath, item: dict[str, Any]) -> None:
    if not valid_command_name(item.get("name")):
        errors.add((*at, "name"), "APPLICATION_COMMAND_INVALID_NAME",
                   "Command name is invalid (1-32 lowercase letters, digits, - or _)")
    _too_long(errors, (*at, "description"), item.get("description") or "", DESCRIPTION_MAX, 1)
    _check_localizations(errors, at, item)


def _check_options(errors: FormErrors, at: FormPath, options: list[dict[str, Any]]) -> None:
    _too_long(errors, at, options, OPTIONS_MAX)
    _check_unique_localized(errors, at, options, list(range(len(options))))
    seen_optional = False
    for i, option in enumerate(options):
        here = (*at, i)
        _check_name_and_description(errors, here, option)
        if option.get("type") in (OPTION_SUB_COMMAND, OPTION_SUB_COMMAND_GROUP):
            _check_options(errors, (*here, "options"), option.get("options") or [])
            continue
        if option.get("required"):
            if seen_optional:
                errors.add(here, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                           "Required options must be placed before non-required options")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        _too_long(errors, (*here, "choices"), choices, CHOICES_MAX)
        if choices and option.get("autocomplete"):
            errors.add((*here, "autocomplete"), "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                       "Autocomplete cannot be set with choices")
        for k, choice in enumerate(choices):
            _too_long(errors, (*here, "choices", k, "name"), choice.get("name"), CHOICE_NAME_MAX, 1)
            for loc, value in (choice.get("name_localizations") or {}).items():
                if loc not in available_locales():
                    errors.add((*here, "choices", k, "name_localizations", loc), "LOCALE_INVALID",
                               f"Invalid locale: \"{loc}\"")
                else:
                    _too_long(errors, (*here, "choices", k, "name_localizations", loc),
                              value if isinstance(value, str) else "", CHOICE_NAME_MAX, 1)
            if option.get("type") == OPTION_STRING:
                _too_long(errors, (*here, "choices", k, "value"), choice.get("value"),
                          CHOICE_STRING_VALUE_MAX, 1)


def _check_context_menu(errors: FormErrors, at: FormPath, command: dict[str, Any]) -> None:
    """A user or message command: a name of 1-32 characters (any case, spaces allowed), an
    empty description and no options."""
    if not valid_menu_name(command.get("name")):
        errors.add((*at, "name"), "APPLICATION_COMMAND_INVALID_NAME",
                   f"Command name is invalid (1-{COMMAND_NAME_MAX} characters)")
    _check_localizations(errors, at, command, menu=True)
    if command.get("description"):
        errors.add((*at, "description"), "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                   "Context menu commands cannot have a description")
    if command.get("options"):
        errors.add((*at, "options"), "APPLICATION_COMMAND_OPTIONS_INVALID",
                   "Context menu commands cannot have options")


def check_commands(commands: Any) -> FormErrors:
    """The documented command limits for a bulk overwrite (a list of commands): names unique
    per command type, CHAT_INPUT rules for slash commands, context-menu rules for the rest."""
    errors = FormErrors()
    names: set[str] = set()
    menu_names: set[tuple[Any, Any]] = set()
    listed = [(i, c) for i, c in enumerate(commands if isinstance(commands, list) else []) if isinstance(c, dict)]
    for kind in {c.get("type", CHAT_INPUT) for _, c in listed}:
        same = [(i, c) for i, c in listed if c.get("type", CHAT_INPUT) == kind]
        _check_unique_localized(errors, (), [c for _, c in same], [i for i, _ in same])
    for i, command in enumerate(commands if isinstance(commands, list) else []):
        if not isinstance(command, dict):
            continue
        if command.get("type", CHAT_INPUT) in (USER_COMMAND, MESSAGE_COMMAND):
            _check_context_menu(errors, (i,), command)
            key = (command.get("type"), command.get("name"))
            if key in menu_names:
                errors.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                           "Application command names must be unique")
            menu_names.add(key)
            continue
        if command.get("type", CHAT_INPUT) != CHAT_INPUT:
            continue
        _check_name_and_description(errors, (i,), command)
        if command.get("name") in names:
            errors.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        names.add(command.get("name"))
        _check_options(errors, (i, "options"), command.get("options") or [])
        if _command_chars(command) > COMMAND_TOTAL_MAX:
            errors.add((i,), "APPLICATION_COMMAND_TOO_LARGE",
                       f"Command exceeds maximum size ({COMMAND_TOTAL_MAX})")
    return errors


def _longest(item: dict[str, Any], field: str) -> int:
    """A field's length as the size limit counts it: its longest localization, or itself."""
    localized = item.get(f"{field}_localizations") or {}
    return max([len(str(item.get(field) or "")), *(len(str(v)) for v in localized.values())])


def _command_chars(item: dict[str, Any]) -> int:
    """The characters Discord counts towards a command's size (of each localized field,
    only the longest localization counts)."""
    total = _longest(item, "name") + _longest(item, "description")
    for choice in item.get("choices") or []:
        total += _longest(choice, "name") + len(str(choice.get("value") or ""))
    return total + sum(_command_chars(option) for option in item.get("options") or [])


def check_autocomplete(data: dict[str, Any] | None) -> FormErrors:
    errors = FormErrors()
    _too_long(errors, ("data", "choices"), (data or {}).get("choices") or [], AUTOCOMPLETE_RESULTS_MAX)
    for k, choice in enumerate((data or {}).get("choices") or []):
        _too_long(errors, ("data", "choices", k, "name"), (choice or {}).get("name"), CHOICE_NAME_MAX, 1)
    return errors


def _check_text_input(errors: FormErrors, at: FormPath, component: dict[str, Any]) -> None:
    _too_long(errors, (*at, "custom_id"), component.get("custom_id"), CUSTOM_ID_MAX, 1)
    _too_long(errors, (*at, "label"), component.get("label"), TEXT_INPUT_LABEL_MAX, 1)
    _too_long(errors, (*at, "placeholder"), component.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX)
    low, high = component.get("min_length"), component.get("max_length")
    if isinstance(low, int) and not 0 <= low <= TEXT_INPUT_VALUE_MAX:
        errors.add((*at, "min_length"), "NUMBER_TYPE_MAX", f"int value should be between 0 and {TEXT_INPUT_VALUE_MAX}.")
    if isinstance(high, int) and not 1 <= high <= TEXT_INPUT_VALUE_MAX:
        errors.add((*at, "max_length"), "NUMBER_TYPE_MAX", f"int value should be between 1 and {TEXT_INPUT_VALUE_MAX}.")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.add((*at, "min_length"), "BASE_TYPE_BAD_LENGTH", "min_length must not be greater than max_length.")
    value = component.get("value")
    if isinstance(value, str):
        _too_long(errors, (*at, "value"), value, high if isinstance(high, int) else TEXT_INPUT_VALUE_MAX,
                  low if isinstance(low, int) else 0)


def check_modal(data: dict[str, Any] | None) -> FormErrors:
    """The documented limits of a modal (callback type 9): a title of 1-45 characters, a
    custom_id of 1-100, 1-5 rows each holding one text input (or a label around one) with a
    label of 1-45, a value of at most 4,000 within its own min/max length."""
    errors = FormErrors()
    data = data if isinstance(data, dict) else {}
    _too_long(errors, ("data", "title"), data.get("title"), MODAL_TITLE_MAX, 1)
    _too_long(errors, ("data", "custom_id"), data.get("custom_id"), CUSTOM_ID_MAX, 1)
    rows = data.get("components")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MODAL_ROWS_MAX:
        errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH",
                   f"Must be between 1 and {MODAL_ROWS_MAX} in length.")
        rows = rows if isinstance(rows, list) else []
    for i, row in enumerate(rows):
        at: FormPath = ("data", "components", i)
        row = row if isinstance(row, dict) else {}
        if row.get("type") == COMPONENT_LABEL:  # a label around one component
            _too_long(errors, (*at, "label"), row.get("label"), TEXT_INPUT_LABEL_MAX, 1)
            inner = row.get("component") or {}
            if inner.get("type") == COMPONENT_TEXT_INPUT:
                _check_text_input(errors, (*at, "component"), {**inner, "label": row.get("label")})
            continue
        children = row.get("components") or []
        if row.get("type") != COMPONENT_ACTION_ROW or len(children) != 1:
            errors.add((*at, "components"), "BASE_TYPE_BAD_LENGTH", "Must be 1 in length.")
        for j, child in enumerate(children):
            if not isinstance(child, dict) or child.get("type") != COMPONENT_TEXT_INPUT:
                errors.add((*at, "components", j, "type"), "COMPONENT_TYPE_INVALID",
                           "Modals take text inputs only in action rows.")
                continue
            _check_text_input(errors, (*at, "components", j), child)
    return errors


def sanitize_filename(name: str) -> str:
    """An uploaded file's name as Discord stores it: whitespace becomes ``_``."""
    return re.sub(r"\s", "_", name)


def embed_attachment_refs(body: dict[str, Any] | None) -> Iterable[tuple[FormPath, str]]:
    """Every ``attachment://NAME`` an embed of ``body`` points at, with where it is."""
    for i, embed in enumerate((body or {}).get("embeds") or []):
        for key, sub in (("image", "url"), ("thumbnail", "url"), ("footer", "icon_url"),
                         ("author", "icon_url")):
            url = (embed.get(key) or {}).get(sub)
            if isinstance(url, str) and url.startswith("attachment://"):
                yield ("embeds", i, key, sub), url.removeprefix("attachment://")
