"""The comment-command grammar (issue 13): (comment text, bot name) → commands. Pure.

A command is one line of a comment, leading spaces allowed:

    r? @handle                     request that member
    r? team-name                   one reviewer chosen from that team
    @BOT reroll | release | back | explain | help
    @BOT away until YYYY-MM-DD

``@BOT`` is the bot's mention name, also spelled ``@BOT[bot]`` (an app account's login);
an optional ``:`` or ``,`` may follow it. Command words and the mention are
case-insensitive; handles and team names are kept as written. Lines inside fenced code
blocks (``` or ~~~) and lines quoted with ``>`` are never commands. Each line that looks
like a command but is malformed becomes a ``BadCommand`` naming the problem and the
correct form, in its place among the others: several commands in one comment run in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

USAGE = {
    "r?": "r? @handle  or  r? team-name",
    "reroll": "@{bot} reroll",
    "release": "@{bot} release",
    "away": "@{bot} away until YYYY-MM-DD",
    "back": "@{bot} back",
    "explain": "@{bot} explain",
    "help": "@{bot} help",
}


@dataclass(frozen=True, slots=True)
class RequestUser:
    handle: str  # without the '@'
    line: str


@dataclass(frozen=True, slots=True)
class RequestTeam:
    team: str
    line: str


@dataclass(frozen=True, slots=True)
class Reroll:
    line: str


@dataclass(frozen=True, slots=True)
class Release:
    line: str


@dataclass(frozen=True, slots=True)
class Away:
    until: date  # the last day away, inclusive
    line: str


@dataclass(frozen=True, slots=True)
class Back:
    line: str


@dataclass(frozen=True, slots=True)
class Explain:
    line: str


@dataclass(frozen=True, slots=True)
class Help:
    line: str


@dataclass(frozen=True, slots=True)
class BadCommand:
    """A line addressed to the bot that is not a command as written."""

    line: str
    problem: str
    usage: str  # the correct form(s)


Command = RequestUser | RequestTeam | Reroll | Release | Away | Back | Explain | Help
Parsed = Command | BadCommand

_FENCE = re.compile(r"^(```|~~~)")
_HANDLE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRAILING = ".,;:!"
MAX_LINE = 500  # a longer line is prose, not a command
MAX_COMMANDS = 20  # per comment: the rest are refused as one, so a reply stays short


def usage(word: str, bot: str) -> str:
    return USAGE[word].format(bot=bot)


def parse_comment(body: str, bot: str) -> list[Parsed]:
    """Every command line of ``body`` in order (malformed ones as ``BadCommand``)."""
    found: list[Parsed] = []
    fenced = False
    for raw in body.splitlines():
        line = raw.strip()
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or line.startswith(">") or not line or len(line) > MAX_LINE:
            continue
        parsed = parse_line(line, bot)
        if parsed is not None:
            found.append(parsed)
    if len(found) > MAX_COMMANDS:
        extra = len(found) - MAX_COMMANDS
        problem = f"only the first {MAX_COMMANDS} commands of a comment run; {extra} more ignored"
        found[MAX_COMMANDS:] = [BadCommand(found[MAX_COMMANDS].line, problem, "one comment each")]
    return found


def parse_line(line: str, bot: str) -> Parsed | None:
    """One stripped line: a command, a malformed one, or None when it addresses nobody."""
    words = line.split()
    head = words[0].lower()
    if head == "r?":
        return _request(words[1:], line, bot)
    rest = _after_mention(words, bot)
    if rest is None:
        return None
    if not rest:
        return BadCommand(line, "no command after the mention", _all_usages(bot))
    return _mention_command(rest, line, bot)


def _after_mention(words: list[str], bot: str) -> list[str] | None:
    """The words after a leading ``@bot`` / ``@bot[bot]`` (None: the line does not start so)."""
    head = words[0].rstrip(":,").lower()
    if head not in (f"@{bot.lower()}", f"@{bot.lower()}[bot]"):
        return None
    return words[1:]


def _request(args: list[str], line: str, bot: str) -> Parsed:
    if len(args) != 1:
        return BadCommand(line, "r? takes exactly one @handle or team name", usage("r?", bot))
    target = args[0].rstrip(_TRAILING)
    if target.startswith("@"):
        handle = target[1:]
        if not _HANDLE.fullmatch(handle):
            return BadCommand(line, f"'{target}' is not a user handle", usage("r?", bot))
        return RequestUser(handle, line)
    if not target:
        return BadCommand(line, "r? takes exactly one @handle or team name", usage("r?", bot))
    return RequestTeam(target, line)


def _mention_command(words: list[str], line: str, bot: str) -> Parsed:
    word, args = words[0].lower().rstrip(_TRAILING), words[1:]
    if word == "away":
        return _away(args, line, bot)
    simple: dict[str, type[Reroll | Release | Back | Explain | Help]] = {
        "reroll": Reroll,
        "release": Release,
        "back": Back,
        "explain": Explain,
        "help": Help,
    }
    make = simple.get(word)
    if make is None:
        return BadCommand(line, f"unknown command '{words[0]}'", _all_usages(bot))
    if args:
        return BadCommand(line, f"'{word}' takes no arguments", usage(word, bot))
    return make(line)


def _away(args: list[str], line: str, bot: str) -> Parsed:
    form = usage("away", bot)
    if len(args) != 2 or args[0].lower() != "until":
        return BadCommand(line, "away needs 'until' and a date", form)
    text = args[1].rstrip(_TRAILING)
    if not _DATE.fullmatch(text):
        return BadCommand(line, f"'{args[1]}' is not a date written YYYY-MM-DD", form)
    try:
        until = date.fromisoformat(text)
    except ValueError:
        return BadCommand(line, f"'{text}' is not a calendar day", form)
    return Away(until, line)


def _all_usages(bot: str) -> str:
    return "; ".join(usage(word, bot) for word in USAGE)
