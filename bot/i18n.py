"""The bot's languages: English (as written in the code), German and Spanish.

Every user-facing text is written in English where it is used; the English template is
also its key here, as in gettext. :func:`t` gives the text in the language of a Discord
locale (the user's client language, ``interaction.locale``), falling back to English for
a locale without a catalog and for a text a catalog lacks. :class:`CommandTranslator`
gives Discord the same catalogs' names and descriptions of the commands, options,
choices and context menus when the tree is synced.

A catalog entry keeps the English template's ``{placeholders}``; command names keep
Discord's rule (lowercase letters, digits, ``-`` or ``_``, at most 32). Generated text
(the articles) stays English.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

import discord
from discord import app_commands

Locale = discord.Locale | str | None

# gettext's separator between a message's context and its text: a key ``in_context(c, text)``
# is ``text`` where the same English word needs another translation (a challenge's state
# "voting" beside the option ``voting``; a clip's "Length", its duration).
CONTEXT_SEPARATOR = "\x04"


def in_context(context: str, text: str) -> str:
    """The catalog key of ``text`` in ``context``; :func:`t` shows it as ``text`` in English."""
    return f"{context}{CONTEXT_SEPARATOR}{text}"


# --- commands: names, descriptions, options, choices, context menus ------------------

COMMANDS_DE: dict[str, str] = {
    # context menus
    "Continue this MIDI": "MIDI fortsetzen",
    "Write more": "Weiterschreiben",
    "Variation": "Variation",
    # commands and the group
    "about": "info",
    "cancel": "abbrechen",
    "compose": "komponieren",
    "config": "einstellungen",
    "continue": "fortsetzen",
    "create": "erstellen",
    "help": "hilfe",
    "history": "verlauf",
    "leaderboard": "bestenliste",
    "list": "liste",
    "queue": "warteschlange",
    "start-voting": "abstimmung-starten",
    "submit": "einreichen",
    "wiki": "wiki",
    "challenge": "wettbewerb",
    # options
    "bars": "takte",
    "blocked_word": "gesperrtes_wort",
    "buttons": "buttons",
    "channel": "kanal",
    "channel_action": "kanal_aktion",
    "code": "code",
    "cooldown": "wartezeit",
    "daily_quota": "tageslimit",
    "deadline": "frist",
    "default_genre": "standardgenre",
    "file": "datei",
    "genre": "genre",
    "job": "auftrag",
    "kind": "art",
    "length": "länge",
    "max_concurrent": "max_gleichzeitig",
    "max_queue": "max_warteschlange",
    "midi": "midi",
    "model": "modell",
    "prompt": "aufgabe",
    "result": "ergebnis",
    "safe_mode": "sicherer_modus",
    "seed": "seed",
    "temperature": "temperatur",
    "tempo": "tempo",
    "title": "titel",
    "top_p": "top_p",
    "voting": "abstimmung",
    "word_action": "wort_aktion",
    # choices
    "add": "hinzufügen",
    "all": "alle Kanäle",
    "allow": "erlauben",
    "best": "beste",
    "default": "Standard",
    "disallow": "verbieten",
    "everyone": "alle",
    "music": "Musik",
    "off": "aus",
    "on": "an",
    "remove": "entfernen",
    "requester": "nur wer es angefordert hat",
    "text": "Text",
    # command and group descriptions
    "Cancel an open or voting challenge; nobody scores (Manage Server).":
        "Brich einen offenen oder laufenden Wettbewerb ab; niemand bekommt Punkte (Server verwalten).",
    "Cancel one of your jobs, whether it is waiting or already running.":
        "Brich einen deiner Aufträge ab, ob er noch wartet oder schon läuft.",
    "Close entries now and post every entry with a vote button (Manage Server).":
        "Schließ die Einreichungen jetzt und poste jeden Beitrag mit Abstimm-Button (Server verwalten).",
    "Compose a short piece of music: you get audio, a MIDI file and a piano roll.":
        "Komponiere ein kurzes Musikstück: Du bekommst Audio, eine MIDI-Datei und eine Pianorolle.",
    "Continue your MIDI file: you get your piece plus the continuation.":
        "Setz deine MIDI-Datei fort: Du bekommst dein Stück samt Fortsetzung.",
    "Enter a challenge with a wikimuse result or your own file; again to replace it.":
        "Nimm mit einem wikimuse-Ergebnis oder eigener Datei teil; nochmal ersetzt den Beitrag.",
    "Points per member across the server's challenges.":
        "Punkte pro Mitglied über alle Wettbewerbe des Servers.",
    "Server settings: where I answer, the default genre, the limits, safe mode (Manage Server).":
        "Servereinstellungen: wo ich antworte, Standardgenre, Limits, sicherer Modus (Server verwalten).",
    "Show your jobs that are waiting or running, with their place in the queue.":
        "Zeig deine wartenden und laufenden Aufträge mit ihrem Platz in der Warteschlange.",
    "Start a community challenge and announce it (Manage Server).":
        "Starte einen Community-Wettbewerb und kündige ihn an (Server verwalten).",
    "The models behind wikimuse, what they learned from, and how well they do.":
        "Die Modelle hinter wikimuse, woraus sie gelernt haben und wie gut sie sind.",
    "The server's challenges, newest first.":
        "Die Wettbewerbe des Servers, die neuesten zuerst.",
    "What wikimuse can do, and how to use it.":
        "Was wikimuse kann und wie du es benutzt.",
    "Write a Wikipedia-style article that starts with your text.":
        "Schreib einen Artikel im Wikipedia-Stil, der mit deinem Text beginnt.",
    "Your last 10 results, with links to jump to them.":
        "Deine letzten 10 Ergebnisse, mit Links direkt dorthin.",
    "Community coding challenges":
        "Community-Programmierwettbewerbe",
    # option descriptions
    "A Standard MIDI File (.mid) to continue":
        "Eine Standard-MIDI-Datei (.mid), die fortgesetzt werden soll",
    "A channel to allow or disallow (see channel_action)":
        "Ein Kanal, den du erlaubst oder verbietest (siehe kanal_aktion)",
    "A short title for the challenge":
        "Ein kurzer Titel für den Wettbewerb",
    "A word to block (whole words; a trailing * matches any ending)":
        "Ein zu sperrendes Wort (ganze Wörter; ein * am Ende passt auf jede Endung)",
    "An optional genre for the entries":
        "Ein optionales Genre für die Beiträge",
    "An optional link to the code that made your entry":
        "Ein optionaler Link zum Code, der deinen Beitrag erzeugt hat",
    "Beats per minute (40 to 240; default: the genre's)":
        "Schläge pro Minute (40 bis 240; Standard: das des Genres)",
    "Generations per day for this server (1 to 100000)":
        "Generierungen pro Tag für diesen Server (1 bis 100000)",
    "How long voting lasts after the deadline, e.g. 2d or 12h (default 2d)":
        "Wie lange nach der Frist abgestimmt wird, z. B. 2d oder 12h (Standard 2d)",
    "How many bars to add (1 to 64; the whole clip stops at 120 s)":
        "Wie viele Takte dazukommen (1 bis 64; der ganze Clip endet bei 120 s)",
    "How many characters to write (100 to 4000, default 1000)":
        "Wie viele Zeichen geschrieben werden (100 bis 4000, Standard 1000)",
    "How the article begins (1 to 500 characters)":
        "Wie der Artikel beginnt (1 bis 500 Zeichen)",
    "Jobs one user may have in flight (1 to 20)":
        "Aufträge, die ein Mitglied gleichzeitig laufen haben darf (1 bis 20)",
    "Keep only the likeliest letters, up to this share (0.05 to 1.0; lower is safer; default 0.95)":
        "Nur die wahrscheinlichsten Buchstaben bis zu diesem Anteil (0.05 bis 1.0; Standard 0.95)",
    "Length in bars instead of seconds (1 to 64)":
        "Länge in Takten statt Sekunden (1 bis 64)",
    "Length in seconds (5 to 120)":
        "Länge in Sekunden (5 bis 120)",
    "Mask blocked words in what I post (default: on if the server's filters ask for it)":
        "Gesperrte Wörter in meinen Posts maskieren (Standard: an, wenn die Serverfilter es verlangen)",
    "One of your wikimuse results (type to search your history)":
        "Eines deiner wikimuse-Ergebnisse (tippe, um deinen Verlauf zu durchsuchen)",
    "Or your own file: MIDI for music challenges, .txt/.md for text":
        "Oder deine eigene Datei: MIDI für Musikwettbewerbe, .txt/.md für Text",
    "Random seed for a repeatable piece (0 to 2147483647)":
        "Zufallsstartwert für ein wiederholbares Stück (0 bis 2147483647)",
    "Randomness (0.1 to 2.0, default 1.0)":
        "Zufälligkeit (0.1 bis 2.0, Standard 1.0)",
    "Randomness (0.1 to 2.0; lower is safer, higher is wilder; default 0.8)":
        "Zufälligkeit (0.1 bis 2.0; niedriger ist sicherer, höher wilder; Standard 0.8)",
    "Seconds a user waits between requests (0 to 3600)":
        "Sekunden, die ein Mitglied zwischen Anfragen wartet (0 bis 3600)",
    "The challenge to cancel":
        "Der Wettbewerb, den du abbrichst",
    "The challenge to enter":
        "Der Wettbewerb, an dem du teilnimmst",
    "The genre /compose uses when none is given":
        "Das Genre, das /komponieren ohne Angabe nimmt",
    "The job to cancel (start typing to pick one of yours)":
        "Der Auftrag, den du abbrichst (tippe, um einen deiner Aufträge zu wählen)",
    "The open challenge whose voting starts now":
        "Der offene Wettbewerb, dessen Abstimmung jetzt beginnt",
    "The style of the continuation (default: classical piano)":
        "Der Stil der Fortsetzung (Standard: klassisches Klavier)",
    "The style to compose in (start typing to see the genres)":
        "Der Stil des Stücks (tippe, um die Genres zu sehen)",
    "Waiting jobs past which new ones are refused (1 to 1000)":
        "Ab so vielen wartenden Aufträgen werden neue abgelehnt (1 bis 1000)",
    "What to make, e.g. 'generate a music clip for a genre that you choose'":
        "Was entstehen soll, z. B. „erzeuge einen Musikclip in einem Genre deiner Wahl“",
    "When submissions close: a duration (3d, 36h), a UTC date (2026-12-01 18:00) or a Discord timestamp":
        "Einsendeschluss: eine Dauer (3d, 36h), ein UTC-Datum (2026-12-01 18:00) oder ein Discord-Zeitstempel",
    "Where to announce and hold the vote (default: here)":
        "Wo angekündigt und abgestimmt wird (Standard: hier)",
    "Whether entries are music (MIDI or a wikimuse clip) or text":
        "Ob die Beiträge Musik (MIDI oder ein wikimuse-Clip) oder Text sind",
    "Which model composes (best: the best measured one for the genre)":
        "Welches Modell komponiert (beste: das am besten gemessene für das Genre)",
    "Who may use the buttons under a result":
        "Wer die Buttons unter einem Ergebnis benutzen darf",
    "add or remove blocked_word on this server's blocklist, or list it":
        "gesperrtes_wort zur Sperrliste des Servers hinzufügen, entfernen oder die Liste zeigen",
    "allow: answer in this channel too; disallow: stop; all: answer everywhere":
        "erlauben: auch hier antworten; verbieten: nicht mehr; alle Kanäle: überall antworten",
}

COMMANDS_ES: dict[str, str] = {
    "Continue this MIDI": "Continuar este MIDI",
    "Write more": "Escribir más",
    "Variation": "Variación",
    "about": "info",
    "cancel": "cancelar",
    "compose": "componer",
    "config": "ajustes",
    "continue": "continuar",
    "create": "crear",
    "help": "ayuda",
    "history": "historial",
    "leaderboard": "clasificación",
    "list": "lista",
    "queue": "cola",
    "start-voting": "iniciar-votación",
    "submit": "participar",
    "wiki": "wiki",
    "challenge": "reto",
    "bars": "compases",
    "blocked_word": "palabra_bloqueada",
    "buttons": "botones",
    "channel": "canal",
    "channel_action": "acción_canal",
    "code": "código",
    "cooldown": "espera",
    "daily_quota": "cuota_diaria",
    "deadline": "plazo",
    "default_genre": "género_predeterminado",
    "file": "archivo",
    "genre": "género",
    "job": "trabajo",
    "kind": "tipo",
    "length": "longitud",
    "max_concurrent": "máx_simultáneos",
    "max_queue": "máx_cola",
    "midi": "midi",
    "model": "modelo",
    "prompt": "consigna",
    "result": "resultado",
    "safe_mode": "modo_seguro",
    "seed": "semilla",
    "temperature": "temperatura",
    "tempo": "tempo",
    "title": "título",
    "top_p": "top_p",
    "voting": "votación",
    "word_action": "acción_palabra",
    "add": "añadir",
    "all": "todos los canales",
    "allow": "permitir",
    "best": "mejor",
    "default": "predeterminado",
    "disallow": "prohibir",
    "everyone": "todos",
    "music": "música",
    "off": "desactivado",
    "on": "activado",
    "remove": "quitar",
    "requester": "solo quien lo pidió",
    "text": "texto",
    "Cancel an open or voting challenge; nobody scores (Manage Server).":
        "Cancela un reto abierto o en votación; nadie suma puntos (Gestionar servidor).",
    "Cancel one of your jobs, whether it is waiting or already running.":
        "Cancela uno de tus trabajos, tanto si espera como si ya está en marcha.",
    "Close entries now and post every entry with a vote button (Manage Server).":
        "Cierra las entregas ya y publica cada una con un botón de voto (Gestionar servidor).",
    "Compose a short piece of music: you get audio, a MIDI file and a piano roll.":
        "Compón una pieza corta: recibes audio, un archivo MIDI y un piano roll.",
    "Continue your MIDI file: you get your piece plus the continuation.":
        "Continúa tu archivo MIDI: recibes tu pieza más la continuación.",
    "Enter a challenge with a wikimuse result or your own file; again to replace it.":
        "Participa en un reto con un resultado de wikimuse o tu archivo; repite para reemplazarlo.",
    "Points per member across the server's challenges.":
        "Puntos por miembro en todos los retos del servidor.",
    "Server settings: where I answer, the default genre, the limits, safe mode (Manage Server).":
        "Ajustes: dónde respondo, el género predeterminado, los límites, modo seguro (Gestionar servidor).",
    "Show your jobs that are waiting or running, with their place in the queue.":
        "Muestra tus trabajos en espera o en marcha, con su puesto en la cola.",
    "Start a community challenge and announce it (Manage Server).":
        "Empieza un reto de la comunidad y anúncialo (Gestionar servidor).",
    "The models behind wikimuse, what they learned from, and how well they do.":
        "Los modelos de wikimuse, de qué aprendieron y qué tan bien funcionan.",
    "The server's challenges, newest first.":
        "Los retos del servidor, los más recientes primero.",
    "What wikimuse can do, and how to use it.":
        "Qué sabe hacer wikimuse y cómo usarlo.",
    "Write a Wikipedia-style article that starts with your text.":
        "Escribe un artículo al estilo de Wikipedia que empiece con tu texto.",
    "Your last 10 results, with links to jump to them.":
        "Tus últimos 10 resultados, con enlaces para ir a ellos.",
    "Community coding challenges":
        "Retos de programación de la comunidad",
    "A Standard MIDI File (.mid) to continue":
        "Un archivo MIDI estándar (.mid) para continuar",
    "A channel to allow or disallow (see channel_action)":
        "Un canal que permitir o prohibir (mira acción_canal)",
    "A short title for the challenge":
        "Un título corto para el reto",
    "A word to block (whole words; a trailing * matches any ending)":
        "Una palabra que bloquear (palabras enteras; un * final vale por cualquier terminación)",
    "An optional genre for the entries":
        "Un género opcional para las entregas",
    "An optional link to the code that made your entry":
        "Un enlace opcional al código que generó tu entrega",
    "Beats per minute (40 to 240; default: the genre's)":
        "Pulsos por minuto (40 a 240; por defecto: el del género)",
    "Generations per day for this server (1 to 100000)":
        "Generaciones por día en este servidor (1 a 100000)",
    "How long voting lasts after the deadline, e.g. 2d or 12h (default 2d)":
        "Cuánto dura la votación tras el plazo, p. ej. 2d o 12h (por defecto 2d)",
    "How many bars to add (1 to 64; the whole clip stops at 120 s)":
        "Cuántos compases añadir (1 a 64; el clip entero termina a los 120 s)",
    "How many characters to write (100 to 4000, default 1000)":
        "Cuántos caracteres escribir (100 a 4000, por defecto 1000)",
    "How the article begins (1 to 500 characters)":
        "Cómo empieza el artículo (1 a 500 caracteres)",
    "Jobs one user may have in flight (1 to 20)":
        "Trabajos que un miembro puede tener en marcha a la vez (1 a 20)",
    "Keep only the likeliest letters, up to this share (0.05 to 1.0; lower is safer; default 0.95)":
        "Solo las letras más probables, hasta esta proporción (0.05 a 1.0; por defecto 0.95)",
    "Length in bars instead of seconds (1 to 64)":
        "Duración en compases en vez de segundos (1 a 64)",
    "Length in seconds (5 to 120)":
        "Duración en segundos (5 a 120)",
    "Mask blocked words in what I post (default: on if the server's filters ask for it)":
        "Ocultar palabras bloqueadas en lo que publico (por defecto: sí, si los filtros lo piden)",
    "One of your wikimuse results (type to search your history)":
        "Uno de tus resultados de wikimuse (escribe para buscar en tu historial)",
    "Or your own file: MIDI for music challenges, .txt/.md for text":
        "O tu propio archivo: MIDI para retos de música, .txt/.md para texto",
    "Random seed for a repeatable piece (0 to 2147483647)":
        "Semilla aleatoria para una pieza repetible (0 a 2147483647)",
    "Randomness (0.1 to 2.0, default 1.0)":
        "Aleatoriedad (0.1 a 2.0, por defecto 1.0)",
    "Randomness (0.1 to 2.0; lower is safer, higher is wilder; default 0.8)":
        "Aleatoriedad (0.1 a 2.0; más baja es más segura, más alta más loca; por defecto 0.8)",
    "Seconds a user waits between requests (0 to 3600)":
        "Segundos que un miembro espera entre peticiones (0 a 3600)",
    "The challenge to cancel":
        "El reto que cancelas",
    "The challenge to enter":
        "El reto en el que participas",
    "The genre /compose uses when none is given":
        "El género que usa /componer si no se indica ninguno",
    "The job to cancel (start typing to pick one of yours)":
        "El trabajo que cancelas (escribe para elegir uno de los tuyos)",
    "The open challenge whose voting starts now":
        "El reto abierto cuya votación empieza ahora",
    "The style of the continuation (default: classical piano)":
        "El estilo de la continuación (por defecto: piano clásico)",
    "The style to compose in (start typing to see the genres)":
        "El estilo de la pieza (escribe para ver los géneros)",
    "Waiting jobs past which new ones are refused (1 to 1000)":
        "Trabajos en espera a partir de los que se rechazan nuevos (1 a 1000)",
    "What to make, e.g. 'generate a music clip for a genre that you choose'":
        "Qué hay que crear, p. ej. «genera un clip de música en el género que elijas»",
    "When submissions close: a duration (3d, 36h), a UTC date (2026-12-01 18:00) or a Discord timestamp":
        "Cierre de entregas: una duración (3d, 36h), una fecha UTC (2026-12-01 18:00) o una marca de Discord",
    "Where to announce and hold the vote (default: here)":
        "Dónde anunciar y votar (por defecto: aquí)",
    "Whether entries are music (MIDI or a wikimuse clip) or text":
        "Si las entregas son música (MIDI o un clip de wikimuse) o texto",
    "Which model composes (best: the best measured one for the genre)":
        "Qué modelo compone (mejor: el mejor medido para el género)",
    "Who may use the buttons under a result":
        "Quién puede usar los botones bajo un resultado",
    "add or remove blocked_word on this server's blocklist, or list it":
        "añade o quita palabra_bloqueada de la lista del servidor, o muéstrala",
    "allow: answer in this channel too; disallow: stop; all: answer everywhere":
        "permitir: responder también aquí; prohibir: dejar de hacerlo; todos los canales: en todas partes",
}

# --- messages ------------------------------------------------------------------------

MESSAGES_DE: dict[str, str] = {
    # refusals and errors
    "This command works only in a server.": "Dieser Befehl funktioniert nur auf einem Server.",
    "wikimuse is not enabled in this server.": "wikimuse ist auf diesem Server nicht aktiviert.",
    "Something went wrong on our side. Please try again in a moment.":
        "Bei uns ist etwas schiefgelaufen. Bitte versuch es gleich noch einmal.",
    "The generator is unavailable right now. Please try again later.":
        "Der Generator ist gerade nicht erreichbar. Bitte versuch es später noch einmal.",
    "That value doesn't work for this option: {value}":
        "Dieser Wert passt nicht zu dieser Option: {value}",
    "You need the Manage Server permission for this.":
        "Dafür brauchst du die Berechtigung „Server verwalten“.",
    "Slow down: try again in {seconds} s.": "Nicht so schnell: Versuch es in {seconds} s noch einmal.",
    "You can't use this command here.": "Diesen Befehl kannst du hier nicht benutzen.",
    "{message} Try again {when}.": "{message} Versuch es {when} noch einmal.",
    "You're going a bit fast.": "Du bist etwas zu schnell.",
    "You already have {count} job(s) running; wait for one to finish (see /queue).":
        "Du hast schon die Höchstzahl von {count} laufenden Aufträgen; warte, bis einer fertig ist "
        "(siehe /warteschlange).",
    "This server has used its {count} generations for today.":
        "Dieser Server hat seine {count} Generierungen für heute aufgebraucht.",
    "You have used your {count} generations for today.":
        "Du hast deine {count} Generierungen für heute aufgebraucht.",
    "The queue is full ({count} jobs waiting). Please try again in a few minutes.":
        "Die Warteschlange ist voll ({count} Aufträge warten). Bitte versuch es in ein paar Minuten noch einmal.",
    "I only answer in {where} on this server.": "Auf diesem Server antworte ich nur in {where}.",
    "I can't find that job among yours. Use /queue to see them.":
        "Diesen Auftrag finde ich unter deinen nicht. Mit /warteschlange siehst du sie.",
    # refusals of the commands, menus and buttons
    "The writer can't spell any of that seed (emoji and symbols have no letters to write them with). "
    "Please type some words.":
        "Der Schreiber kann nichts von diesem Anfang buchstabieren (Emojis und Symbole haben keine "
        "Buchstaben). Bitte tippe ein paar Wörter.",
    "The writer can't spell any of that seed. Please type some words.":
        "Der Schreiber kann nichts von diesem Anfang buchstabieren. Bitte tippe ein paar Wörter.",
    "“Write more” works on my articles only: right-click an article I wrote with /wiki.":
        "„Weiterschreiben“ geht nur mit meinen Artikeln: Rechtsklick auf einen Artikel, den ich mit /wiki "
        "geschrieben habe.",
    "“Variation” works on my results only: right-click an article or a piece I made.":
        "„Variation“ geht nur mit meinen Ergebnissen: Rechtsklick auf einen Artikel oder ein Stück von mir.",
    "That message has no MIDI file to continue. Right-click a message with a `.mid` attachment, "
    "or use /continue with your file.":
        "Diese Nachricht hat keine MIDI-Datei zum Fortsetzen. Rechtsklick auf eine Nachricht mit "
        "`.mid`-Anhang, oder nutze /fortsetzen mit deiner Datei.",
    "This result is too old to build on. Please run the command again.":
        "Dieses Ergebnis ist zu alt, um darauf aufzubauen. Bitte führ den Befehl noch einmal aus.",
    "“{name}” is not a MIDI file. Please upload a `.mid` file.":
        "„{name}“ ist keine MIDI-Datei. Bitte lade eine `.mid`-Datei hoch.",
    "“{name}” is {size}; MIDI uploads here are limited to {limit}.":
        "„{name}“ ist {size} groß; MIDI-Uploads sind hier auf {limit} begrenzt.",
    "“{name}” is empty.": "„{name}“ ist leer.",
    "“{name}” is larger than {limit}.": "„{name}“ ist größer als {limit}.",
    "“{name}” is named like a MIDI file but isn't one (no MIDI header). Export it again as a Standard MIDI File.":
        "„{name}“ heißt wie eine MIDI-Datei, ist aber keine (kein MIDI-Header). Exportiere sie noch einmal "
        "als Standard-MIDI-Datei.",
    "“{name}” has a MIDI header but no track, so there is no music in it. Export it again as a Standard MIDI File.":
        "„{name}“ hat einen MIDI-Header, aber keine Spur, also keine Musik. Exportiere sie noch einmal "
        "als Standard-MIDI-Datei.",
    "I couldn't download “{name}”. Please try again.":
        "Ich konnte „{name}“ nicht herunterladen. Bitte versuch es noch einmal.",
    "Pick a channel to allow or disallow.": "Wähl einen Kanal, den du erlaubst oder verbietest.",
    "{setting} must be from {low} to {high}.": "{setting} muss zwischen {low} und {high} liegen.",
    "A blocked word needs {low} to {high} letters or digits "
    "(spaces, ' and - inside are fine; a trailing * matches any ending).":
        "Ein gesperrtes Wort braucht {low} bis {high} Buchstaben oder Ziffern "
        "(Leerzeichen, ' und - in der Mitte sind okay; ein * am Ende passt auf jede Endung).",
    "Give the blocked_word to {word_action}.": "Gib bei gesperrtes_wort das Wort an, das du {word_action} willst.",
    "This server's list is full ({count} words); remove one first.":
        "Die Liste dieses Servers ist voll ({count} Wörter); entferne zuerst eines.",
    "That word is not on this server's list (see word_action: list).":
        "Dieses Wort steht nicht auf der Liste dieses Servers (siehe wort_aktion: liste).",
    "Pick a word_action (add or remove) for that blocked_word.":
        "Wähl für dieses gesperrtes_wort eine wort_aktion (hinzufügen oder entfernen).",
    "I cannot open a post in this forum (I need Send Messages there).":
        "Ich kann in diesem Forum keinen Beitrag eröffnen (ich brauche dort „Nachrichten senden“).",
    "{label}: “{value}” is not a number.": "{label}: „{value}“ ist keine Zahl.",
    "{label}: “{value}” is not a whole number.": "{label}: „{value}“ ist keine ganze Zahl.",
    "{label} can't be empty.": "{label} darf nicht leer sein.",
    # challenges
    "Challenge #{id} is not open for entries.": "Wettbewerb #{id} nimmt keine Beiträge an.",
    "Challenge #{id} no longer takes entries.": "Wettbewerb #{id} nimmt keine Beiträge mehr an.",
    "Choose one: a `result` from your history, or a `file` you made.":
        "Wähl eins: ein `ergebnis` aus deinem Verlauf oder eine `datei`, die du gemacht hast.",
    "I cannot post in that channel; the challenge was not created.":
        "Ich kann in diesem Kanal nicht posten; der Wettbewerb wurde nicht erstellt.",
    "I cannot post the announcement in {channel}: I need {missing} there.":
        "Ich kann die Ankündigung nicht in {channel} posten: Ich brauche dort {missing}.",
    "Pick a text channel for the challenge.": "Wähl einen Textkanal für den Wettbewerb.",
    "That is not one of your wikimuse results; pick one from the list.":
        "Das ist keines deiner wikimuse-Ergebnisse; wähl eines aus der Liste.",
    "The code link must be an http(s) URL.": "Der Code-Link muss eine http(s)-URL sein.",
    "This is a music challenge; pick a music result.":
        "Das ist ein Musikwettbewerb; wähl ein Musikergebnis.",
    "This is a text challenge; pick a text result.":
        "Das ist ein Textwettbewerb; wähl ein Textergebnis.",
    "A duration must be at most a year.": "Eine Dauer darf höchstens ein Jahr sein.",
    "A duration must be longer than zero.": "Eine Dauer muss länger als null sein.",
    "The deadline must be in the future.": "Die Frist muss in der Zukunft liegen.",
    "The deadline must be within a year.": "Die Frist muss innerhalb eines Jahres liegen.",
    "`{shown}` is not a deadline: use a duration (`3d`), a UTC date (`2026-12-01 18:00`) or a Discord timestamp.":
        "`{shown}` ist keine Frist: Nimm eine Dauer (`3d`), ein UTC-Datum (`2026-12-01 18:00`) oder "
        "einen Discord-Zeitstempel.",
    "`{text}` is not a duration: use e.g. `90m`, `2d`, `1w2d`.":
        "`{text}` ist keine Dauer: Nimm z. B. `90m`, `2d`, `1w2d`.",
    "That MIDI file has no tracks.": "Diese MIDI-Datei hat keine Spuren.",
    "That file could not be downloaded; please try again.":
        "Die Datei konnte nicht heruntergeladen werden; bitte versuch es noch einmal.",
    "That file is empty.": "Diese Datei ist leer.",
    "That file is not UTF-8 text.": "Diese Datei ist kein UTF-8-Text.",
    "That file is not a Standard MIDI File (no `MThd` header).":
        "Diese Datei ist keine Standard-MIDI-Datei (kein `MThd`-Header).",
    "That file is too large: {size} bytes, the limit is {limit}.":
        "Diese Datei ist zu groß: {size} Bytes, die Grenze liegt bei {limit}.",
    "That text file is empty.": "Diese Textdatei ist leer.",
    "That text is too long: {size} characters, the limit is {limit}.":
        "Dieser Text ist zu lang: {size} Zeichen, die Grenze liegt bei {limit}.",
    "This is a music challenge: upload a MIDI file (`.mid` or `.midi`).":
        "Das ist ein Musikwettbewerb: Lade eine MIDI-Datei hoch (`.mid` oder `.midi`).",
    "This is a text challenge: upload a `.txt` or `.md` file.":
        "Das ist ein Textwettbewerb: Lade eine `.txt`- oder `.md`-Datei hoch.",
    "; entries and talk in {thread}": "; Beiträge und Gespräche in {thread}",
    "Challenge #{id} is announced: {link}{talk}": "Wettbewerb #{id} ist angekündigt: {link}{talk}",
    "✅ Your entry for challenge #{id} replaced your earlier entry. You can submit again "
    "to replace it until {deadline}.":
        "✅ Dein Beitrag zu Wettbewerb #{id} hat deinen früheren ersetzt. Bis {deadline} kannst du "
        "ihn noch einmal ersetzen.",
    "✅ Your entry for challenge #{id} is in. You can submit again to replace it until {deadline}.":
        "✅ Dein Beitrag zu Wettbewerb #{id} ist eingegangen. Bis {deadline} kannst du ihn noch "
        "einmal ersetzen.",
    "Voting for challenge #{id} is open; the entries follow in {channel}.":
        "Die Abstimmung für Wettbewerb #{id} läuft; die Beiträge folgen in {channel}.",
    "You cannot vote for your own entry.": "Du kannst nicht für deinen eigenen Beitrag stimmen.",
    "Voting for challenge #{id} is closed.": "Die Abstimmung für Wettbewerb #{id} ist beendet.",
    "That entry no longer exists.": "Diesen Beitrag gibt es nicht mehr.",
    "✅ Your vote for entry {number} is counted.": "✅ Deine Stimme für Beitrag {number} zählt.",
    "🔁 You changed your vote from entry {before} to entry {number}.":
        "🔁 Du hast deine Stimme von Beitrag {before} auf Beitrag {number} geändert.",
    "You already voted for entry {number}.": "Du hast schon für Beitrag {number} gestimmt.",
    " Tallies stay hidden until voting closes.": " Die Zwischenstände bleiben bis zum Ende der Abstimmung verborgen.",
    "Challenges are not available right now; please try again later.":
        "Wettbewerbe sind gerade nicht verfügbar; bitte versuch es später noch einmal.",
    "Your {label} gets a post of its own: {post}": "Deine Anfrage ({label}) bekommt einen eigenen Beitrag: {post}",
    # /config
    "Server settings": "Servereinstellungen",
    "Server settings (updated)": "Servereinstellungen (aktualisiert)",
    "Channels": "Kanäle",
    "all channels": "alle Kanäle",
    "Default genre": "Standardgenre",
    "none": "keins",
    "Buttons": "Buttons",
    "Cooldown": "Wartezeit",
    "Jobs per user": "Aufträge pro Mitglied",
    "Daily quota": "Tageslimit",
    "Max queue": "Max. Warteschlange",
    "Safe mode": "Sicherer Modus",
    "Blocked words": "Gesperrte Wörter",
    "This server's words": "Wörter dieses Servers",
    # progress
    "Queued": "In der Warteschlange",
    "Queued, position {position}": "In der Warteschlange, Platz {position}",
    ", about {seconds} s": ", etwa {seconds} s",
    "Writing": "Schreibe",
    "Composing": "Komponiere",
    "Continuing": "Setze fort",
    # /queue, /cancel, /history
    "You have no jobs waiting or running.": "Du hast keine wartenden oder laufenden Aufträge.",
    "queued, position {position}": "wartet, Platz {position}",
    "starting": "startet",
    "running, {percent}%": "läuft, {percent} %",
    "running": "läuft",
    "finishing": "wird fertig",
    "Your jobs": "Deine Aufträge",
    "Cancelled `{job}` ({label}).": "`{job}` ({label}) abgebrochen.",
    "You have no results yet. Try /wiki or /compose.":
        "Du hast noch keine Ergebnisse. Probier /wiki oder /komponieren.",
    "Your last results": "Deine letzten Ergebnisse",
    # /help
    "I write Wikipedia-style articles and compose music with neural networks. "
    "Jobs wait in a queue; I edit my reply while they run.":
        "Ich schreibe Artikel im Wikipedia-Stil und komponiere Musik mit neuronalen Netzen. "
        "Aufträge warten in einer Warteschlange; während sie laufen, aktualisiere ich meine Antwort.",
    "Right-click a message → Apps": "Rechtsklick auf eine Nachricht → Apps",
    "/continue on the message's MIDI file": "/fortsetzen mit der MIDI-Datei der Nachricht",
    "a new article that goes on from where the article ended":
        "ein neuer Artikel, der dort weitermacht, wo der Artikel aufgehört hat",
    "the same request with a new random seed": "dieselbe Anfrage mit einem neuen Zufallsstartwert",
    "Buttons under a result make another take: a new seed, a variation, a longer one, "
    "or your own edit of its parameters.":
        "Die Buttons unter einem Ergebnis machen einen neuen Versuch: ein neuer Startwert, eine Variation, "
        "eine längere Fassung oder deine eigene Änderung der Parameter.",
    # buttons and the modal
    "That button doesn't apply to this result.": "Dieser Button passt nicht zu diesem Ergebnis.",
    "Only <@{user_id}> can use these buttons here. Run the command yourself to get your own.":
        "Nur <@{user_id}> kann diese Buttons hier benutzen. Führ den Befehl selbst aus, "
        "dann bekommst du eigene.",
    "Edit and regenerate": "Bearbeiten und neu erzeugen",
    "Seed text": "Anfangstext",
    "Length (100 to 4,000 characters)": "Länge (100 bis 4.000 Zeichen)",
    "Temperature (0.1 to 2.0)": "Temperatur (0.1 bis 2.0)",
    "Top-p (0.05 to 1.0)": "Top-p (0.05 bis 1.0)",
    "Random seed (blank: a new one)": "Zufallsstartwert (leer: ein neuer)",
    "Genre": "Genre",
    "Length in seconds (5 to 120)": "Länge in Sekunden (5 bis 120)",
    "Length in bars (1 to 64)": "Länge in Takten (1 bis 64)",
    "Tempo in bpm (blank: the genre's)": "Tempo in BPM (leer: das des Genres)",
    "Genre (blank: classical piano)": "Genre (leer: klassisches Klavier)",
    "Bars to add (1 to 64)": "Zusätzliche Takte (1 bis 64)",
    "Regenerate": "Neu erzeugen",
    "Longer": "Länger",
    "Continue": "Weiter",
    "Edit": "Bearbeiten",
    "The same, in another genre…": "Dasselbe in einem anderen Genre…",
    # results (their labels; the generated text stays English)
    "That request can't be done": "Diese Anfrage lässt sich nicht erfüllen",
    "That MIDI file can't be used": "Diese MIDI-Datei lässt sich nicht verwenden",
    "That took too long": "Das hat zu lange gedauert",
    "Cancelled": "Abgebrochen",
    "Model not installed": "Modell nicht installiert",
    "Something went wrong": "Etwas ist schiefgelaufen",
    "Continuation": "Fortsetzung",
    "Composition": "Komposition",
    "Model": "Modell",
    "Tempo": "Tempo",
    "Seed": "Seed",
    "Length": "Länge",
    "{seconds} s · {bars} bars": "{seconds} s · {bars} Takte",
    "Generated in": "Erzeugt in",
    "Your primer": "Dein Anfang",
    "first {seconds} s": "erste {seconds} s",
    # refusals of the job contracts' checks (workers/contracts.py) and their option names
    "{name} must be a whole number from {low:,} to {high:,}.":
        "{name} muss eine ganze Zahl von {low} bis {high} sein.",
    "{name} must be a number from {low} to {high}.": "{name} muss eine Zahl von {low} bis {high} sein.",
    "The seed is empty (invisible characters don't count). Please type some text.":
        "Der Anfang ist leer (unsichtbare Zeichen zählen nicht). Bitte tippe etwas Text.",
    "The seed is {count:,} characters long; the limit is {limit:,}.":
        "Der Anfang ist {count} Zeichen lang; erlaubt sind höchstens {limit}.",
    "Please pick a genre: {genres}.": "Bitte wähl ein Genre: {genres}.",
    "I don't know the genre “{genre}”. Choose one of: {genres}.":
        "Das Genre „{genre}“ kenne ich nicht. Wähl eines davon: {genres}.",
    "Unknown model. Choose one of: {models}.": "Unbekanntes Modell. Wähl eines davon: {models}.",
    "Unknown model name.": "Unbekannter Modellname.",
    "Temperature": "Temperatur",
    "Top-k": "Top-k",
    "Top-p": "Top-p",
    "Bars": "Takte",
    # notes above a result: a seed the writer can't spell as typed, and where the result came from
    "I changed your seed so the writer can spell it: {changes}.":
        "Ich habe deinen Anfang geändert, damit der Schreiber ihn buchstabieren kann: {changes}.",
    "“{typed}” → “{written}”": "„{typed}“ → „{written}“",
    "“{typed}” → a space": "„{typed}“ → ein Leerzeichen",
    "“{typed}” left out": "„{typed}“ weggelassen",
    "{count} text-direction control(s) removed": "{count} Textrichtungszeichen entfernt",
    "cut to {count} characters": "auf {count} Zeichen gekürzt",
    "; and {count} more": "; und {count} weitere",
    "Continuation of": "Fortsetzung von",
    "Variation of": "Variation von",
    "Regenerated from": "Neu erzeugt aus",
    "Longer version of": "Längere Fassung von",
    "Another genre of": "Anderes Genre von",
    "Edited from": "Bearbeitet aus",
    # a result posted late, a forum post's first message, /about
    "{mention}, your {what} could not be made:": "{mention}, dein Ergebnis ({what}) konnte nicht erstellt werden:",
    "{mention}, here is your {what}.": "{mention}, hier ist dein Ergebnis: {what}.",
    "{mention} asked for {what}; it follows here.": "{mention} hat {what} angefordert; das Ergebnis folgt hier.",
    "About wikimuse's models": "Über die Modelle von wikimuse",
    "No model checkpoints are installed next to this bot.": "Neben diesem Bot sind keine Modell-Checkpoints installiert.",
    "Each genre's models and its default (`model: best`):":
        "Die Modelle jedes Genres und sein Standardmodell (`modell: beste`):",
    "Measured figures: docs/BENCHMARKS.md": "Gemessene Werte: docs/BENCHMARKS.md",
    # /challenge list and /challenge leaderboard
    "🏅 Challenge leaderboard: {guild}": "🏅 Wettbewerbs-Bestenliste: {guild}",
    "No challenge has been decided yet.": "Noch kein Wettbewerb ist entschieden.",
    "{rank}. {member}: **{points}** points ({wins} win, {runner_ups} runner-up)":
        "{rank}. {member}: **{points}** Punkte ({wins} Sieg, {runner_ups}× Zweiter)",
    "{rank}. {member}: **{points}** points ({wins} wins, {runner_ups} runner-up)":
        "{rank}. {member}: **{points}** Punkte ({wins} Siege, {runner_ups}× Zweiter)",
    "Challenges": "Wettbewerbe",
    "No challenges yet. Admins start one with `/challenge create`.":
        "Noch keine Wettbewerbe. Admins starten einen mit `/wettbewerb erstellen`.",
    "entries until {when}": "Einreichungen bis {when}",
    "voting until {when}": "Abstimmung bis {when}",
    "since {when}": "seit {when}",
    "open for entries": "offen für Beiträge",
    "closed": "beendet",
    "cancelled": "abgebrochen",
    # a challenge's public messages (in the guild's language): announcement, ballots, results
    in_context("challenge state", "voting"): "Abstimmung",
    "a wikimuse clip from your `/history`, or your own MIDI":
        "ein wikimuse-Clip aus deinem `/verlauf` oder deine eigene MIDI-Datei",
    "a wikimuse article from your `/history`, or your own text (`.txt`/`.md`)":
        "ein wikimuse-Artikel aus deinem `/verlauf` oder dein eigener Text (`.txt`/`.md`)",
    "• Submit with `/challenge submit`: {entry}, with an optional link to your code.":
        "• Einreichen mit `/wettbewerb einreichen`: {entry}, wahlweise mit einem Link zu deinem Code.",
    "• One entry per member; submitting again replaces your entry until the deadline.":
        "• Ein Beitrag pro Mitglied; wer bis zur Frist noch einmal einreicht, ersetzt seinen Beitrag.",
    "• Voting: one vote per member, never for yourself; you may change your vote.":
        "• Abstimmung: eine Stimme pro Mitglied, nie für dich selbst; du kannst deine Stimme ändern.",
    "• Tallies stay hidden until voting closes.":
        "• Die Zwischenstände bleiben bis zum Ende der Abstimmung verborgen.",
    "• Winner {win} points, runner-up {runner_up}.": "• Sieger {win} Punkte, Zweiter {runner_up}.",
    "Challenge #{id}: {title}": "Wettbewerb #{id}: {title}",
    "Challenge #{id}": "Wettbewerb #{id}",
    "Kind": "Art",
    "Submissions close": "Einsendeschluss",
    "Voting closes": "Ende der Abstimmung",
    "Rules": "Regeln",
    "Entries and talk": "Beiträge und Gespräche",
    "🗳️ **Voting is open** for challenge #{id}, *{title}*: {count} entry below. One vote per member, "
    "never for yourself; press another entry's button to change your vote. Voting closes {when}.":
        "🗳️ **Die Abstimmung läuft** für Wettbewerb #{id}, *{title}*: {count} Beitrag unten. Eine Stimme "
        "pro Mitglied, nie für dich selbst; mit dem Button eines anderen Beitrags änderst du deine Stimme. "
        "Die Abstimmung endet {when}.",
    "🗳️ **Voting is open** for challenge #{id}, *{title}*: {count} entries below. One vote per member, "
    "never for yourself; press another entry's button to change your vote. Voting closes {when}.":
        "🗳️ **Die Abstimmung läuft** für Wettbewerb #{id}, *{title}*: {count} Beiträge unten. Eine Stimme "
        "pro Mitglied, nie für dich selbst; mit dem Button eines anderen Beitrags änderst du deine Stimme. "
        "Die Abstimmung endet {when}.",
    "**Entry {number}** for challenge #{id}, by {member}": "**Beitrag {number}** zu Wettbewerb #{id}, von {member}",
    "wikimuse result: {link}": "wikimuse-Ergebnis: {link}",
    "Code: {link}": "Code: {link}",
    "The file could not be attached in this channel.": "Die Datei ließ sich in diesem Kanal nicht anhängen.",
    "Vote": "Abstimmen",
    "Vote for entry {number}": "Für Beitrag {number} stimmen",
    "Voting closed": "Abstimmung beendet",
    "Results of challenge #{id}: {title}": "Ergebnisse von Wettbewerb #{id}: {title}",
    "No entries, so no winner this time.": "Keine Beiträge, also diesmal kein Sieger.",
    "Nobody voted, so no winner this time.": "Niemand hat abgestimmt, also diesmal kein Sieger.",
    "🥇 Winner": "🥇 Sieger",
    "🥈 Runner-up": "🥈 Zweiter Platz",
    "{member}, entry {number}: {votes} vote, +{points} points":
        "{member}, Beitrag {number}: {votes} Stimme, +{points} Punkte",
    "{member}, entry {number}: {votes} votes, +{points} points":
        "{member}, Beitrag {number}: {votes} Stimmen, +{points} Punkte",
    "Entry {number} ({member}): {votes}": "Beitrag {number} ({member}): {votes}",
    "All votes": "Alle Stimmen",
    "{entries} entries, {voters} voters · /challenge leaderboard":
        "{entries} Beiträge, {voters} Abstimmende · /wettbewerb bestenliste",
    "Challenge #{id}, *{title}*, was cancelled by {member}.":
        "Wettbewerb #{id}, *{title}*, wurde von {member} abgebrochen.",
    # the challenge rules' refusals (bot/db)
    "There is no challenge #{id}.": "Es gibt keinen Wettbewerb #{id}.",
    "There is no challenge #{id} here.": "Hier gibt es keinen Wettbewerb #{id}.",
    "The title needs 1 to {limit} characters.": "Der Titel braucht 1 bis {limit} Zeichen.",
    "The prompt needs 1 to {limit} characters.": "Die Aufgabe braucht 1 bis {limit} Zeichen.",
    "The kind is either music or text.": "Die Art ist entweder Musik oder Text.",
    "The genre needs at most {limit} characters.": "Das Genre darf höchstens {limit} Zeichen haben.",
    "The submission deadline must be in the future.": "Der Einsendeschluss muss in der Zukunft liegen.",
    "Voting must end after the submission deadline.": "Die Abstimmung muss nach dem Einsendeschluss enden.",
    "Attach a wikimuse result or upload a file.": "Hänge ein wikimuse-Ergebnis an oder lade eine Datei hoch.",
    "That job id is not a wikimuse job.": "Diese Auftrags-ID gehört zu keinem wikimuse-Auftrag.",
    "The code link needs at most {limit} characters.": "Der Code-Link darf höchstens {limit} Zeichen haben.",
    "Challenge #{id} is {state}; submissions are closed.":
        "Wettbewerb #{id} hat den Status „{state}“; Einreichungen sind geschlossen.",
    "The submission deadline of challenge #{id} has passed.": "Der Einsendeschluss von Wettbewerb #{id} ist vorbei.",
    "Voting for challenge #{id} is not open.": "Die Abstimmung für Wettbewerb #{id} ist nicht offen.",
    "Voting for challenge #{id} has ended.": "Die Abstimmung für Wettbewerb #{id} ist vorbei.",
    "That submission is not in this challenge.": "Dieser Beitrag gehört nicht zu diesem Wettbewerb.",
    "You cannot vote for your own submission.": "Du kannst nicht für deinen eigenen Beitrag stimmen.",
    "Challenge #{id} is already {state}.": "Wettbewerb #{id} hat bereits den Status „{state}“.",
    "Challenge #{id} is {state}.": "Wettbewerb #{id} hat den Status „{state}“.",
    # a result's footer
    "Untitled": "Ohne Titel",
    "under 1 ms": "unter 1 ms",
    "{model} · {chars} characters · {time} · seed {seed}": "{model} · {chars} Zeichen · {time} · Seed {seed}",
    " · batch of {count}": " · in einem Stapel von {count}",
    " · full article attached": " · ganzer Artikel angehängt",
    "{notes} notes · job {job}": "{notes} Noten · Auftrag {job}",
    "Left out (over this server's upload limit): {files}":
        "Weggelassen (über dem Upload-Limit dieses Servers): {files}",
    # what a request is called in lines about it (/queue, a late result, a forum post)
    "article “{seed}”": "Artikel „{seed}“",
    "{genre} piece": "Stück ({genre})",
    "continuation of {what}": "Fortsetzung von {what}",
    "variation of {what}": "Variation von {what}",
    "regenerated {what}": "Neufassung von {what}",
    "longer {what}": "längere Fassung von {what}",
    "{genre} version of {what}": "{genre}-Fassung von {what}",
    "edited {what}": "bearbeitete Fassung von {what}",
    "{mention}, here is your result.": "{mention}, hier ist dein Ergebnis.",
    "{mention}, your request could not be made:": "{mention}, deine Anfrage ließ sich nicht erfüllen:",
    # a worker's error results (workers/pipeline.py, workers/tasks.py, models/music/midi_io.py)
    "The model {model} is not installed on this worker.": "Das Modell {model} ist auf diesem Worker nicht installiert.",
    "No trained model for the genre {genre} is installed on this worker.":
        "Für das Genre {genre} ist auf diesem Worker kein trainiertes Modell installiert.",
    "The genre {genre} has no {model} model. Its models: {kinds}, or best (the default).":
        "Das Genre {genre} hat kein Modell {model}. Seine Modelle: {kinds}, oder beste (die Vorgabe).",
    "The seed contains characters the model does not know: {chars}. Use plain letters, digits and punctuation.":
        "Der Anfang enthält Zeichen, die das Modell nicht kennt: {chars}. Nimm einfache Buchstaben, Ziffern "
        "und Satzzeichen.",
    "The seed contains characters the model does not know: {chars} and {more} more. "
    "Use plain letters, digits and punctuation.":
        "Der Anfang enthält Zeichen, die das Modell nicht kennt: {chars} und {more} weitere. Nimm einfache "
        "Buchstaben, Ziffern und Satzzeichen.",
    "Malformed job: {detail}": "Fehlerhafter Auftrag: {detail}",
    "The job took too long and was stopped. Try a shorter length.":
        "Der Auftrag hat zu lange gedauert und wurde abgebrochen. Versuch es mit einer kürzeren Länge.",
    "Something went wrong on our side. Please try again.":
        "Bei uns ist etwas schiefgelaufen. Bitte versuch es noch einmal.",
    "This job crashed its worker repeatedly and was stopped. Try other settings.":
        "Dieser Auftrag hat seinen Worker wiederholt zum Absturz gebracht und wurde abgebrochen. "
        "Versuch es mit anderen Einstellungen.",
    "The upload is not a MIDI file.": "Die hochgeladene Datei ist keine MIDI-Datei.",
    "The uploaded MIDI file is no longer stored; please send it again.":
        "Die hochgeladene MIDI-Datei ist nicht mehr gespeichert; bitte schick sie noch einmal.",
    "Expected MIDI data as bytes.": "Erwartet waren MIDI-Daten als Bytes.",
    "MIDI files are limited to {limit} kB.": "MIDI-Dateien sind auf {limit} kB begrenzt.",
    "RIFF MIDI (.rmi) files are not supported; upload a .mid.":
        "RIFF-MIDI-Dateien (.rmi) werden nicht unterstützt; lade eine .mid-Datei hoch.",
    "This is not a Standard MIDI File (.mid).": "Das ist keine Standard-MIDI-Datei (.mid).",
    "The MIDI file header is corrupt.": "Der Header der MIDI-Datei ist beschädigt.",
    "MIDI files timed in SMPTE frames are not supported.":
        "MIDI-Dateien mit SMPTE-Zeitbasis werden nicht unterstützt.",
    "The MIDI file has 0 ticks per beat.": "Die MIDI-Datei hat 0 Ticks pro Schlag.",
    "The MIDI file has no tracks.": "Die MIDI-Datei hat keine Spuren.",
    "The MIDI file is empty.": "Die MIDI-Datei ist leer.",
    "The MIDI file contains no notes.": "Die MIDI-Datei enthält keine Noten.",
    "The MIDI file has only drums; there are no pitched notes to use.":
        "Die MIDI-Datei enthält nur Schlagzeug; es gibt keine Noten mit Tonhöhe, die sich verwenden lassen.",
    "All notes of the MIDI file lie outside the 88 piano keys.":
        "Alle Noten der MIDI-Datei liegen außerhalb der 88 Klaviertasten.",
    "The MIDI file is corrupt ({what}).": "Die MIDI-Datei ist beschädigt ({what}).",
    "The MIDI file is corrupt ({what} in track {track}).": "Die MIDI-Datei ist beschädigt ({what} in Spur {track}).",
    "Unknown MIDI file format {format}.": "Unbekanntes MIDI-Dateiformat {format}.",
    "The MIDI file has more than {limit} tracks.": "Die MIDI-Datei hat mehr als {limit} Spuren.",
    "The MIDI file has more than {limit:,} events.": "Die MIDI-Datei hat mehr als {limit} Ereignisse.",
    "The MIDI file is longer than {limit:,.0f} beats (or its timing is corrupt).":
        "Die MIDI-Datei ist länger als {limit:.0f} Schläge (oder ihr Timing ist beschädigt).",
    "The MIDI file is {size:.1f} MB; the limit is {limit:.1f} MB.":
        "Die MIDI-Datei ist {size:.1f} MB groß; die Grenze liegt bei {limit:.1f} MB.",
    "The MIDI file contains no notes: its {count:,} note event(s) only switch notes off (note-offs, "
    "or note-ons with velocity 0).":
        "Die MIDI-Datei enthält keine Noten: Ihre {count} Notenereignisse schalten nur Noten aus "
        "(Note-offs oder Note-ons mit Velocity 0).",
    "The MIDI file has {count:,} notes; the limit is {limit:,}.": "Die MIDI-Datei hat {count} Noten; die Grenze liegt bei {limit}.",
    "The MIDI file lasts {minutes:.0f} minutes; the limit is {limit:.0f} minutes.":
        "Die MIDI-Datei dauert {minutes:.0f} Minuten; die Grenze liegt bei {limit:.0f} Minuten.",
    # /about: the models
    "Character-level stacked LSTM trained on WikiText-2 (Wikipedia articles).":
        "Zeichenbasiertes, gestapeltes LSTM, trainiert auf WikiText-2 (Wikipedia-Artikel).",
    "LSTM composer over 88-key piano rolls.": "LSTM-Komponist über Pianorollen mit 88 Tasten.",
    "Encoder-decoder that continues a primer.": "Encoder-Decoder, der einen Anfang fortsetzt.",
    "Restricted Boltzmann machine over piano-roll frames.":
        "Restricted Boltzmann Machine über die Zeitschritte einer Pianorolle.",
    "RNN-RBM: an RNN conditioning an RBM at each step.": "RNN-RBM: ein RNN, das bei jedem Schritt eine RBM steuert.",
    "RNN-NADE: an RNN conditioning a NADE at each step.":
        "RNN-NADE: ein RNN, das bei jedem Schritt ein NADE steuert.",
    "A trained model.": "Ein trainiertes Modell.",
    "Data: {dataset}.": "Daten: {dataset}.",
    "Measured: {figures}.": "Gemessen: {figures}.",
    "{count:,} parameters.": "{count} Parameter.",
    "Measured per genre: {genres}.": "Gemessen pro Genre: {genres}.",
    "music: {kind}": "Musik: {kind}",
    "no reason recorded": "kein Grund festgehalten",
    in_context("clip", "Length"): "Dauer",
    # a job's parameters on a result's last footer line
    in_context("parameter", "length"): "Länge",
    in_context("parameter", "temperature"): "Temperatur",
    in_context("parameter", "top-k"): "Top-k",
    in_context("parameter", "top-p"): "Top-p",
    in_context("parameter", "seed"): "Seed",
    in_context("parameter", "model"): "Modell",
    in_context("parameter", "genre"): "Genre",
    in_context("parameter", "length (s)"): "Dauer (s)",
    in_context("parameter", "bars"): "Takte",
    in_context("parameter", "tempo"): "Tempo",
}

MESSAGES_ES: dict[str, str] = {
    "This command works only in a server.": "Este comando solo funciona en un servidor.",
    "wikimuse is not enabled in this server.": "wikimuse no está activado en este servidor.",
    "Something went wrong on our side. Please try again in a moment.":
        "Algo ha fallado por nuestra parte. Vuelve a intentarlo en un momento.",
    "The generator is unavailable right now. Please try again later.":
        "El generador no está disponible ahora mismo. Vuelve a intentarlo más tarde.",
    "That value doesn't work for this option: {value}":
        "Ese valor no sirve para esta opción: {value}",
    "You need the Manage Server permission for this.":
        "Para esto necesitas el permiso «Gestionar servidor».",
    "Slow down: try again in {seconds} s.": "Más despacio: vuelve a intentarlo en {seconds} s.",
    "You can't use this command here.": "No puedes usar este comando aquí.",
    "{message} Try again {when}.": "{message} Vuelve a intentarlo {when}.",
    "You're going a bit fast.": "Vas un poco rápido.",
    "You already have {count} job(s) running; wait for one to finish (see /queue).":
        "Ya tienes el máximo de {count} trabajos en marcha; espera a que termine uno (mira /cola).",
    "This server has used its {count} generations for today.":
        "Este servidor ya ha usado sus {count} generaciones de hoy.",
    "You have used your {count} generations for today.":
        "Ya has usado tus {count} generaciones de hoy.",
    "The queue is full ({count} jobs waiting). Please try again in a few minutes.":
        "La cola está llena ({count} trabajos en espera). Vuelve a intentarlo en unos minutos.",
    "I only answer in {where} on this server.": "En este servidor solo respondo en {where}.",
    "I can't find that job among yours. Use /queue to see them.":
        "No encuentro ese trabajo entre los tuyos. Usa /cola para verlos.",
    "The writer can't spell any of that seed (emoji and symbols have no letters to write them with). "
    "Please type some words.":
        "El escritor no sabe escribir nada de ese inicio (los emojis y símbolos no tienen letras). "
        "Escribe algunas palabras.",
    "The writer can't spell any of that seed. Please type some words.":
        "El escritor no sabe escribir nada de ese inicio. Escribe algunas palabras.",
    "“Write more” works on my articles only: right-click an article I wrote with /wiki.":
        "«Escribir más» solo funciona con mis artículos: haz clic derecho en un artículo que escribí con /wiki.",
    "“Variation” works on my results only: right-click an article or a piece I made.":
        "«Variación» solo funciona con mis resultados: haz clic derecho en un artículo o una pieza mía.",
    "That message has no MIDI file to continue. Right-click a message with a `.mid` attachment, "
    "or use /continue with your file.":
        "Ese mensaje no tiene ningún archivo MIDI que continuar. Haz clic derecho en un mensaje con un "
        "adjunto `.mid`, o usa /continuar con tu archivo.",
    "This result is too old to build on. Please run the command again.":
        "Este resultado es demasiado antiguo para partir de él. Vuelve a usar el comando.",
    "“{name}” is not a MIDI file. Please upload a `.mid` file.":
        "«{name}» no es un archivo MIDI. Sube un archivo `.mid`.",
    "“{name}” is {size}; MIDI uploads here are limited to {limit}.":
        "«{name}» ocupa {size}; aquí los MIDI subidos tienen un límite de {limit}.",
    "“{name}” is empty.": "«{name}» está vacío.",
    "“{name}” is larger than {limit}.": "«{name}» ocupa más de {limit}.",
    "“{name}” is named like a MIDI file but isn't one (no MIDI header). Export it again as a Standard MIDI File.":
        "«{name}» se llama como un archivo MIDI pero no lo es (no tiene cabecera MIDI). Vuelve a "
        "exportarlo como archivo MIDI estándar.",
    "“{name}” has a MIDI header but no track, so there is no music in it. Export it again as a Standard MIDI File.":
        "«{name}» tiene cabecera MIDI pero ninguna pista, así que no contiene música. Vuelve a "
        "exportarlo como archivo MIDI estándar.",
    "I couldn't download “{name}”. Please try again.":
        "No he podido descargar «{name}». Vuelve a intentarlo.",
    "Pick a channel to allow or disallow.": "Elige un canal que permitir o prohibir.",
    "{setting} must be from {low} to {high}.": "{setting} debe estar entre {low} y {high}.",
    "A blocked word needs {low} to {high} letters or digits "
    "(spaces, ' and - inside are fine; a trailing * matches any ending).":
        "Una palabra bloqueada necesita de {low} a {high} letras o cifras "
        "(se admiten espacios, ' y - en medio; un * final vale por cualquier terminación).",
    "Give the blocked_word to {word_action}.": "Indica en palabra_bloqueada la palabra que quieres {word_action}.",
    "This server's list is full ({count} words); remove one first.":
        "La lista de este servidor está llena ({count} palabras); quita una primero.",
    "That word is not on this server's list (see word_action: list).":
        "Esa palabra no está en la lista de este servidor (mira acción_palabra: lista).",
    "Pick a word_action (add or remove) for that blocked_word.":
        "Elige una acción_palabra (añadir o quitar) para esa palabra_bloqueada.",
    "I cannot open a post in this forum (I need Send Messages there).":
        "No puedo abrir una publicación en este foro (necesito «Enviar mensajes» ahí).",
    "{label}: “{value}” is not a number.": "{label}: «{value}» no es un número.",
    "{label}: “{value}” is not a whole number.": "{label}: «{value}» no es un número entero.",
    "{label} can't be empty.": "{label} no puede estar vacío.",
    "Challenge #{id} is not open for entries.": "El reto #{id} no admite entregas.",
    "Challenge #{id} no longer takes entries.": "El reto #{id} ya no admite entregas.",
    "Choose one: a `result` from your history, or a `file` you made.":
        "Elige una cosa: un `resultado` de tu historial o un `archivo` que hayas hecho.",
    "I cannot post in that channel; the challenge was not created.":
        "No puedo publicar en ese canal; el reto no se ha creado.",
    "I cannot post the announcement in {channel}: I need {missing} there.":
        "No puedo publicar el anuncio en {channel}: necesito {missing} ahí.",
    "Pick a text channel for the challenge.": "Elige un canal de texto para el reto.",
    "That is not one of your wikimuse results; pick one from the list.":
        "Ese no es uno de tus resultados de wikimuse; elige uno de la lista.",
    "The code link must be an http(s) URL.": "El enlace al código debe ser una URL http(s).",
    "This is a music challenge; pick a music result.":
        "Este es un reto de música; elige un resultado de música.",
    "This is a text challenge; pick a text result.":
        "Este es un reto de texto; elige un resultado de texto.",
    "A duration must be at most a year.": "Una duración puede ser como mucho de un año.",
    "A duration must be longer than zero.": "Una duración debe ser mayor que cero.",
    "The deadline must be in the future.": "El plazo debe estar en el futuro.",
    "The deadline must be within a year.": "El plazo debe estar dentro de un año.",
    "`{shown}` is not a deadline: use a duration (`3d`), a UTC date (`2026-12-01 18:00`) or a Discord timestamp.":
        "`{shown}` no es un plazo: usa una duración (`3d`), una fecha UTC (`2026-12-01 18:00`) o una "
        "marca de tiempo de Discord.",
    "`{text}` is not a duration: use e.g. `90m`, `2d`, `1w2d`.":
        "`{text}` no es una duración: usa p. ej. `90m`, `2d`, `1w2d`.",
    "That MIDI file has no tracks.": "Ese archivo MIDI no tiene pistas.",
    "That file could not be downloaded; please try again.":
        "No se ha podido descargar ese archivo; vuelve a intentarlo.",
    "That file is empty.": "Ese archivo está vacío.",
    "That file is not UTF-8 text.": "Ese archivo no es texto UTF-8.",
    "That file is not a Standard MIDI File (no `MThd` header).":
        "Ese archivo no es un archivo MIDI estándar (no tiene cabecera `MThd`).",
    "That file is too large: {size} bytes, the limit is {limit}.":
        "Ese archivo es demasiado grande: {size} bytes, el límite es {limit}.",
    "That text file is empty.": "Ese archivo de texto está vacío.",
    "That text is too long: {size} characters, the limit is {limit}.":
        "Ese texto es demasiado largo: {size} caracteres, el límite es {limit}.",
    "This is a music challenge: upload a MIDI file (`.mid` or `.midi`).":
        "Este es un reto de música: sube un archivo MIDI (`.mid` o `.midi`).",
    "This is a text challenge: upload a `.txt` or `.md` file.":
        "Este es un reto de texto: sube un archivo `.txt` o `.md`.",
    "; entries and talk in {thread}": "; entregas y charla en {thread}",
    "Challenge #{id} is announced: {link}{talk}": "El reto #{id} está anunciado: {link}{talk}",
    "✅ Your entry for challenge #{id} replaced your earlier entry. You can submit again "
    "to replace it until {deadline}.":
        "✅ Tu entrega para el reto #{id} ha reemplazado a la anterior. Puedes volver a enviarla "
        "para reemplazarla hasta {deadline}.",
    "✅ Your entry for challenge #{id} is in. You can submit again to replace it until {deadline}.":
        "✅ Tu entrega para el reto #{id} está dentro. Puedes volver a enviarla para reemplazarla "
        "hasta {deadline}.",
    "Voting for challenge #{id} is open; the entries follow in {channel}.":
        "La votación del reto #{id} está abierta; las entregas siguen en {channel}.",
    "You cannot vote for your own entry.": "No puedes votar tu propia entrega.",
    "Voting for challenge #{id} is closed.": "La votación del reto #{id} está cerrada.",
    "That entry no longer exists.": "Esa entrega ya no existe.",
    "✅ Your vote for entry {number} is counted.": "✅ Tu voto para la entrega {number} cuenta.",
    "🔁 You changed your vote from entry {before} to entry {number}.":
        "🔁 Has cambiado tu voto de la entrega {before} a la entrega {number}.",
    "You already voted for entry {number}.": "Ya has votado la entrega {number}.",
    " Tallies stay hidden until voting closes.": " Los recuentos siguen ocultos hasta que cierre la votación.",
    "Challenges are not available right now; please try again later.":
        "Los retos no están disponibles ahora mismo; vuelve a intentarlo más tarde.",
    "Your {label} gets a post of its own: {post}": "Tu {label} tiene su propia publicación: {post}",
    "Server settings": "Ajustes del servidor",
    "Server settings (updated)": "Ajustes del servidor (actualizados)",
    "Channels": "Canales",
    "all channels": "todos los canales",
    "Default genre": "Género predeterminado",
    "none": "ninguno",
    "Buttons": "Botones",
    "Cooldown": "Espera",
    "Jobs per user": "Trabajos por miembro",
    "Daily quota": "Cuota diaria",
    "Max queue": "Cola máxima",
    "Safe mode": "Modo seguro",
    "Blocked words": "Palabras bloqueadas",
    "This server's words": "Palabras de este servidor",
    "Queued": "En cola",
    "Queued, position {position}": "En cola, puesto {position}",
    ", about {seconds} s": ", unos {seconds} s",
    "Writing": "Escribiendo",
    "Composing": "Componiendo",
    "Continuing": "Continuando",
    "You have no jobs waiting or running.": "No tienes trabajos en espera ni en marcha.",
    "queued, position {position}": "en cola, puesto {position}",
    "starting": "empezando",
    "running, {percent}%": "en marcha, {percent} %",
    "running": "en marcha",
    "finishing": "terminando",
    "Your jobs": "Tus trabajos",
    "Cancelled `{job}` ({label}).": "Cancelado `{job}` ({label}).",
    "You have no results yet. Try /wiki or /compose.":
        "Aún no tienes resultados. Prueba /wiki o /componer.",
    "Your last results": "Tus últimos resultados",
    "I write Wikipedia-style articles and compose music with neural networks. "
    "Jobs wait in a queue; I edit my reply while they run.":
        "Escribo artículos al estilo de Wikipedia y compongo música con redes neuronales. "
        "Los trabajos esperan en una cola; mientras se hacen, voy editando mi respuesta.",
    "Right-click a message → Apps": "Clic derecho en un mensaje → Aplicaciones",
    "/continue on the message's MIDI file": "/continuar con el archivo MIDI del mensaje",
    "a new article that goes on from where the article ended":
        "un artículo nuevo que sigue donde terminó el artículo",
    "the same request with a new random seed": "la misma petición con una semilla aleatoria nueva",
    "Buttons under a result make another take: a new seed, a variation, a longer one, "
    "or your own edit of its parameters.":
        "Los botones bajo un resultado hacen otra versión: una semilla nueva, una variación, "
        "una más larga o tu propia edición de los parámetros.",
    "That button doesn't apply to this result.": "Ese botón no sirve para este resultado.",
    "Only <@{user_id}> can use these buttons here. Run the command yourself to get your own.":
        "Solo <@{user_id}> puede usar estos botones aquí. Usa el comando tú mismo para tener los tuyos.",
    "Edit and regenerate": "Editar y regenerar",
    "Seed text": "Texto inicial",
    "Length (100 to 4,000 characters)": "Longitud (100 a 4000 caracteres)",
    "Temperature (0.1 to 2.0)": "Temperatura (0.1 a 2.0)",
    "Top-p (0.05 to 1.0)": "Top-p (0.05 a 1.0)",
    "Random seed (blank: a new one)": "Semilla aleatoria (vacío: una nueva)",
    "Genre": "Género",
    "Length in seconds (5 to 120)": "Duración en segundos (5 a 120)",
    "Length in bars (1 to 64)": "Duración en compases (1 a 64)",
    "Tempo in bpm (blank: the genre's)": "Tempo en BPM (vacío: el del género)",
    "Genre (blank: classical piano)": "Género (vacío: piano clásico)",
    "Bars to add (1 to 64)": "Compases que añadir (1 a 64)",
    "Regenerate": "Regenerar",
    "Longer": "Más largo",
    "Continue": "Continuar",
    "Edit": "Editar",
    "The same, in another genre…": "Lo mismo, en otro género…",
    "That request can't be done": "Esa petición no se puede hacer",
    "That MIDI file can't be used": "Ese archivo MIDI no se puede usar",
    "That took too long": "Ha tardado demasiado",
    "Cancelled": "Cancelado",
    "Model not installed": "Modelo no instalado",
    "Something went wrong": "Algo ha fallado",
    "Continuation": "Continuación",
    "Composition": "Composición",
    "Model": "Modelo",
    "Tempo": "Tempo",
    "Seed": "Semilla",
    "Length": "Longitud",
    "{seconds} s · {bars} bars": "{seconds} s · {bars} compases",
    "Generated in": "Generado en",
    "Your primer": "Tu inicio",
    "first {seconds} s": "primeros {seconds} s",
    # refusals of the job contracts' checks (workers/contracts.py) and their option names
    "{name} must be a whole number from {low:,} to {high:,}.":
        "{name}: debe ser un número entero de {low} a {high}.",
    "{name} must be a number from {low} to {high}.": "{name}: debe ser un número de {low} a {high}.",
    "The seed is empty (invisible characters don't count). Please type some text.":
        "El inicio está vacío (los caracteres invisibles no cuentan). Escribe algo de texto.",
    "The seed is {count:,} characters long; the limit is {limit:,}.":
        "El inicio tiene {count} caracteres; el límite es {limit}.",
    "Please pick a genre: {genres}.": "Elige un género: {genres}.",
    "I don't know the genre “{genre}”. Choose one of: {genres}.":
        "No conozco el género «{genre}». Elige uno de estos: {genres}.",
    "Unknown model. Choose one of: {models}.": "Modelo desconocido. Elige uno de estos: {models}.",
    "Unknown model name.": "Nombre de modelo desconocido.",
    "Temperature": "Temperatura",
    "Top-k": "Top-k",
    "Top-p": "Top-p",
    "Bars": "Compases",
    # notes above a result: a seed the writer can't spell as typed, and where the result came from
    "I changed your seed so the writer can spell it: {changes}.":
        "He cambiado tu inicio para que el escritor pueda escribirlo: {changes}.",
    "“{typed}” → “{written}”": "«{typed}» → «{written}»",
    "“{typed}” → a space": "«{typed}» → un espacio",
    "“{typed}” left out": "«{typed}» omitido",
    "{count} text-direction control(s) removed": "{count} control(es) de dirección del texto eliminado(s)",
    "cut to {count} characters": "recortado a {count} caracteres",
    "; and {count} more": "; y {count} más",
    "Continuation of": "Continuación de",
    "Variation of": "Variación de",
    "Regenerated from": "Regenerado a partir de",
    "Longer version of": "Versión más larga de",
    "Another genre of": "Otro género de",
    "Edited from": "Editado a partir de",
    # a result posted late, a forum post's first message, /about
    "{mention}, your {what} could not be made:": "{mention}, no se pudo crear tu resultado ({what}):",
    "{mention}, here is your {what}.": "{mention}, aquí tienes tu resultado: {what}.",
    "{mention} asked for {what}; it follows here.":
        "{mention} ha hecho una petición ({what}); el resultado sigue aquí.",
    "About wikimuse's models": "Sobre los modelos de wikimuse",
    "No model checkpoints are installed next to this bot.": "No hay checkpoints de modelos instalados junto a este bot.",
    "Each genre's models and its default (`model: best`):":
        "Los modelos de cada género y su modelo por defecto (`modelo: mejor`):",
    "Measured figures: docs/BENCHMARKS.md": "Cifras medidas: docs/BENCHMARKS.md",
    # /challenge list and /challenge leaderboard
    "🏅 Challenge leaderboard: {guild}": "🏅 Clasificación de retos: {guild}",
    "No challenge has been decided yet.": "Todavía no se ha decidido ningún reto.",
    "{rank}. {member}: **{points}** points ({wins} win, {runner_ups} runner-up)":
        "{rank}. {member}: **{points}** puntos ({wins} victoria, {runner_ups} segundo puesto)",
    "{rank}. {member}: **{points}** points ({wins} wins, {runner_ups} runner-up)":
        "{rank}. {member}: **{points}** puntos ({wins} victorias, {runner_ups} segundo puesto)",
    "Challenges": "Retos",
    "No challenges yet. Admins start one with `/challenge create`.":
        "Todavía no hay retos. Los admins crean uno con `/reto crear`.",
    "entries until {when}": "participaciones hasta {when}",
    "voting until {when}": "votación hasta {when}",
    "since {when}": "desde {when}",
    "open for entries": "abierto a participaciones",
    "closed": "cerrado",
    "cancelled": "cancelado",
    in_context("challenge state", "voting"): "votación",
    "a wikimuse clip from your `/history`, or your own MIDI":
        "un clip de wikimuse de tu `/historial` o tu propio MIDI",
    "a wikimuse article from your `/history`, or your own text (`.txt`/`.md`)":
        "un artículo de wikimuse de tu `/historial` o tu propio texto (`.txt`/`.md`)",
    "• Submit with `/challenge submit`: {entry}, with an optional link to your code.":
        "• Participa con `/reto participar`: {entry}, con un enlace opcional a tu código.",
    "• One entry per member; submitting again replaces your entry until the deadline.":
        "• Una entrega por miembro; si vuelves a enviarla antes del plazo, reemplaza la anterior.",
    "• Voting: one vote per member, never for yourself; you may change your vote.":
        "• Votación: un voto por miembro, nunca para ti mismo; puedes cambiar tu voto.",
    "• Tallies stay hidden until voting closes.":
        "• Los recuentos siguen ocultos hasta que cierre la votación.",
    "• Winner {win} points, runner-up {runner_up}.": "• Ganador {win} puntos, segundo puesto {runner_up}.",
    "Challenge #{id}: {title}": "Reto #{id}: {title}",
    "Challenge #{id}": "Reto #{id}",
    "Kind": "Tipo",
    "Submissions close": "Cierre de entregas",
    "Voting closes": "Cierre de la votación",
    "Rules": "Reglas",
    "Entries and talk": "Entregas y charla",
    "🗳️ **Voting is open** for challenge #{id}, *{title}*: {count} entry below. One vote per member, "
    "never for yourself; press another entry's button to change your vote. Voting closes {when}.":
        "🗳️ **La votación está abierta** para el reto #{id}, *{title}*: {count} entrega abajo. Un voto por "
        "miembro, nunca para ti mismo; pulsa el botón de otra entrega para cambiar tu voto. La votación "
        "cierra {when}.",
    "🗳️ **Voting is open** for challenge #{id}, *{title}*: {count} entries below. One vote per member, "
    "never for yourself; press another entry's button to change your vote. Voting closes {when}.":
        "🗳️ **La votación está abierta** para el reto #{id}, *{title}*: {count} entregas abajo. Un voto por "
        "miembro, nunca para ti mismo; pulsa el botón de otra entrega para cambiar tu voto. La votación "
        "cierra {when}.",
    "**Entry {number}** for challenge #{id}, by {member}": "**Entrega {number}** del reto #{id}, de {member}",
    "wikimuse result: {link}": "Resultado de wikimuse: {link}",
    "Code: {link}": "Código: {link}",
    "The file could not be attached in this channel.": "No se ha podido adjuntar el archivo en este canal.",
    "Vote": "Votar",
    "Vote for entry {number}": "Votar la entrega {number}",
    "Voting closed": "Votación cerrada",
    "Results of challenge #{id}: {title}": "Resultados del reto #{id}: {title}",
    "No entries, so no winner this time.": "No hubo entregas, así que esta vez no hay ganador.",
    "Nobody voted, so no winner this time.": "Nadie votó, así que esta vez no hay ganador.",
    "🥇 Winner": "🥇 Ganador",
    "🥈 Runner-up": "🥈 Segundo puesto",
    "{member}, entry {number}: {votes} vote, +{points} points":
        "{member}, entrega {number}: {votes} voto, +{points} puntos",
    "{member}, entry {number}: {votes} votes, +{points} points":
        "{member}, entrega {number}: {votes} votos, +{points} puntos",
    "Entry {number} ({member}): {votes}": "Entrega {number} ({member}): {votes}",
    "All votes": "Todos los votos",
    "{entries} entries, {voters} voters · /challenge leaderboard":
        "{entries} entregas, {voters} votantes · /reto clasificación",
    "Challenge #{id}, *{title}*, was cancelled by {member}.":
        "{member} ha cancelado el reto #{id}, *{title}*.",
    "There is no challenge #{id}.": "No existe el reto #{id}.",
    "There is no challenge #{id} here.": "Aquí no hay ningún reto #{id}.",
    "The title needs 1 to {limit} characters.": "El título necesita de 1 a {limit} caracteres.",
    "The prompt needs 1 to {limit} characters.": "La consigna necesita de 1 a {limit} caracteres.",
    "The kind is either music or text.": "El tipo es música o texto.",
    "The genre needs at most {limit} characters.": "El género puede tener como mucho {limit} caracteres.",
    "The submission deadline must be in the future.": "El cierre de entregas debe estar en el futuro.",
    "Voting must end after the submission deadline.": "La votación debe terminar después del cierre de entregas.",
    "Attach a wikimuse result or upload a file.": "Adjunta un resultado de wikimuse o sube un archivo.",
    "That job id is not a wikimuse job.": "Ese ID no es de un trabajo de wikimuse.",
    "The code link needs at most {limit} characters.": "El enlace al código puede tener como mucho {limit} caracteres.",
    "Challenge #{id} is {state}; submissions are closed.":
        "El reto #{id} está en estado «{state}»; las entregas están cerradas.",
    "The submission deadline of challenge #{id} has passed.": "El plazo de entregas del reto #{id} ha pasado.",
    "Voting for challenge #{id} is not open.": "La votación del reto #{id} no está abierta.",
    "Voting for challenge #{id} has ended.": "La votación del reto #{id} ha terminado.",
    "That submission is not in this challenge.": "Esa entrega no es de este reto.",
    "You cannot vote for your own submission.": "No puedes votar tu propia entrega.",
    "Challenge #{id} is already {state}.": "El reto #{id} ya está en estado «{state}».",
    "Challenge #{id} is {state}.": "El reto #{id} está en estado «{state}».",
    "Untitled": "Sin título",
    "under 1 ms": "menos de 1 ms",
    "{model} · {chars} characters · {time} · seed {seed}": "{model} · {chars} caracteres · {time} · semilla {seed}",
    " · batch of {count}": " · en un lote de {count}",
    " · full article attached": " · artículo completo adjunto",
    "{notes} notes · job {job}": "{notes} notas · trabajo {job}",
    "Left out (over this server's upload limit): {files}":
        "Omitido (supera el límite de subida de este servidor): {files}",
    "article “{seed}”": "artículo «{seed}»",
    "{genre} piece": "pieza de {genre}",
    "continuation of {what}": "continuación de {what}",
    "variation of {what}": "variación de {what}",
    "regenerated {what}": "nueva versión de {what}",
    "longer {what}": "versión más larga de {what}",
    "{genre} version of {what}": "versión {genre} de {what}",
    "edited {what}": "versión editada de {what}",
    "{mention}, here is your result.": "{mention}, aquí tienes tu resultado.",
    "{mention}, your request could not be made:": "{mention}, no se pudo hacer tu petición:",
    "The model {model} is not installed on this worker.": "El modelo {model} no está instalado en este worker.",
    "No trained model for the genre {genre} is installed on this worker.":
        "No hay ningún modelo entrenado para el género {genre} instalado en este worker.",
    "The genre {genre} has no {model} model. Its models: {kinds}, or best (the default).":
        "El género {genre} no tiene modelo {model}. Sus modelos: {kinds}, o mejor (el predeterminado).",
    "The seed contains characters the model does not know: {chars}. Use plain letters, digits and punctuation.":
        "El inicio contiene caracteres que el modelo no conoce: {chars}. Usa letras, cifras y signos de "
        "puntuación normales.",
    "The seed contains characters the model does not know: {chars} and {more} more. "
    "Use plain letters, digits and punctuation.":
        "El inicio contiene caracteres que el modelo no conoce: {chars} y {more} más. Usa letras, cifras y "
        "signos de puntuación normales.",
    "Malformed job: {detail}": "Trabajo mal formado: {detail}",
    "The job took too long and was stopped. Try a shorter length.":
        "El trabajo ha tardado demasiado y se ha detenido. Prueba con una longitud menor.",
    "Something went wrong on our side. Please try again.":
        "Algo ha fallado por nuestra parte. Vuelve a intentarlo.",
    "This job crashed its worker repeatedly and was stopped. Try other settings.":
        "Este trabajo ha hecho fallar su worker varias veces y se ha detenido. Prueba con otros ajustes.",
    "The upload is not a MIDI file.": "El archivo subido no es un archivo MIDI.",
    "The uploaded MIDI file is no longer stored; please send it again.":
        "El archivo MIDI subido ya no está guardado; vuelve a enviarlo.",
    "Expected MIDI data as bytes.": "Se esperaban datos MIDI en bytes.",
    "MIDI files are limited to {limit} kB.": "Los archivos MIDI tienen un límite de {limit} kB.",
    "RIFF MIDI (.rmi) files are not supported; upload a .mid.":
        "Los archivos RIFF MIDI (.rmi) no son compatibles; sube un .mid.",
    "This is not a Standard MIDI File (.mid).": "Esto no es un archivo MIDI estándar (.mid).",
    "The MIDI file header is corrupt.": "La cabecera del archivo MIDI está dañada.",
    "MIDI files timed in SMPTE frames are not supported.":
        "Los archivos MIDI con tiempo en fotogramas SMPTE no son compatibles.",
    "The MIDI file has 0 ticks per beat.": "El archivo MIDI tiene 0 ticks por pulso.",
    "The MIDI file has no tracks.": "El archivo MIDI no tiene pistas.",
    "The MIDI file is empty.": "El archivo MIDI está vacío.",
    "The MIDI file contains no notes.": "El archivo MIDI no contiene notas.",
    "The MIDI file has only drums; there are no pitched notes to use.":
        "El archivo MIDI solo tiene batería; no hay notas con altura que usar.",
    "All notes of the MIDI file lie outside the 88 piano keys.":
        "Todas las notas del archivo MIDI quedan fuera de las 88 teclas del piano.",
    "The MIDI file is corrupt ({what}).": "El archivo MIDI está dañado ({what}).",
    "The MIDI file is corrupt ({what} in track {track}).": "El archivo MIDI está dañado ({what} en la pista {track}).",
    "Unknown MIDI file format {format}.": "Formato de archivo MIDI desconocido: {format}.",
    "The MIDI file has more than {limit} tracks.": "El archivo MIDI tiene más de {limit} pistas.",
    "The MIDI file has more than {limit:,} events.": "El archivo MIDI tiene más de {limit} eventos.",
    "The MIDI file is longer than {limit:,.0f} beats (or its timing is corrupt).":
        "El archivo MIDI dura más de {limit:.0f} pulsos (o su temporización está dañada).",
    "The MIDI file is {size:.1f} MB; the limit is {limit:.1f} MB.":
        "El archivo MIDI ocupa {size:.1f} MB; el límite es {limit:.1f} MB.",
    "The MIDI file contains no notes: its {count:,} note event(s) only switch notes off (note-offs, "
    "or note-ons with velocity 0).":
        "El archivo MIDI no contiene notas: sus {count} eventos de nota solo apagan notas "
        "(note-offs o note-ons con velocidad 0).",
    "The MIDI file has {count:,} notes; the limit is {limit:,}.": "El archivo MIDI tiene {count} notas; el límite es {limit}.",
    "The MIDI file lasts {minutes:.0f} minutes; the limit is {limit:.0f} minutes.":
        "El archivo MIDI dura {minutes:.0f} minutos; el límite es de {limit:.0f} minutos.",
    "Character-level stacked LSTM trained on WikiText-2 (Wikipedia articles).":
        "LSTM apilada a nivel de carácter, entrenada con WikiText-2 (artículos de Wikipedia).",
    "LSTM composer over 88-key piano rolls.": "Compositor LSTM sobre piano rolls de 88 teclas.",
    "Encoder-decoder that continues a primer.": "Codificador-decodificador que continúa un inicio.",
    "Restricted Boltzmann machine over piano-roll frames.":
        "Máquina de Boltzmann restringida sobre los pasos de un piano roll.",
    "RNN-RBM: an RNN conditioning an RBM at each step.": "RNN-RBM: una RNN que condiciona una RBM en cada paso.",
    "RNN-NADE: an RNN conditioning a NADE at each step.": "RNN-NADE: una RNN que condiciona un NADE en cada paso.",
    "A trained model.": "Un modelo entrenado.",
    "Data: {dataset}.": "Datos: {dataset}.",
    "Measured: {figures}.": "Medido: {figures}.",
    "{count:,} parameters.": "{count} parámetros.",
    "Measured per genre: {genres}.": "Medido por género: {genres}.",
    "music: {kind}": "música: {kind}",
    "no reason recorded": "sin motivo registrado",
    in_context("clip", "Length"): "Duración",
    # a job's parameters on a result's last footer line
    in_context("parameter", "length"): "longitud",
    in_context("parameter", "temperature"): "temperatura",
    in_context("parameter", "top-k"): "top-k",
    in_context("parameter", "top-p"): "top-p",
    in_context("parameter", "seed"): "semilla",
    in_context("parameter", "model"): "modelo",
    in_context("parameter", "genre"): "género",
    in_context("parameter", "length (s)"): "duración (s)",
    in_context("parameter", "bars"): "compases",
    in_context("parameter", "tempo"): "tempo",
}

CATALOGS: dict[str, dict[str, str]] = {
    "de": COMMANDS_DE | MESSAGES_DE,
    "es": COMMANDS_ES | MESSAGES_ES,
}


def language(locale: Locale) -> str:
    """The catalog for a Discord locale (``de``, ``es-ES``, ``es-419`` ...): its language,
    or ``en`` where there is no catalog."""
    code = locale.value if isinstance(locale, discord.Locale) else str(locale or "")
    lang = code.split("-")[0].lower()
    return lang if lang in CATALOGS else "en"


def placeholders(template: str) -> set[str]:
    """The ``{fields}`` a template formats."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


class Term(str):
    """A field value that is itself a catalog text (a modal's label): :func:`t` translates
    it with the message it goes into."""

    __slots__ = ()


def t(locale: Locale, text: str, /, **fields: object) -> str:
    """``text`` (an English template) in ``locale``'s language, formatted with ``fields``;
    English where there is no translation."""
    template = CATALOGS.get(language(locale), {}).get(text) or text.rpartition(CONTEXT_SEPARATOR)[2]
    if not fields:
        return template
    return template.format(**{k: t(locale, v) if isinstance(v, Term) else v for k, v in fields.items()})


def option_terms(fields: Mapping[str, object]) -> dict[str, object]:
    """The fields of a job contract's message (an ``InvalidJob``, an ``ErrorResult``), its
    option's ``name`` ("Length", "Seed") as a :class:`Term`, translated with the message."""
    return {key: Term(value) if key == "name" and isinstance(value, str) else value
            for key, value in fields.items()}


class CommandTranslator(app_commands.Translator):
    """Command, option, choice and menu names and descriptions from the catalogs."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContext) -> str | None:
        lang = language(locale)
        if lang == "en":
            return None
        return CATALOGS[lang].get(string.message)
