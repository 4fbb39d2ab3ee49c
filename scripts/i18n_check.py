"""Tiny helper for the zh_Hans message catalogue (no polib needed).

Usage (from the project root)::

    python scripts/i18n_check.py check            # untranslated / fuzzy / placeholder problems
    python scripts/i18n_check.py todo OUT.json     # dump untranslated or fuzzy msgids to fill in
    python scripts/i18n_check.py apply IN.json     # write msgstr from {msgid: msgstr} (drops fuzzy)

``apply`` accepts, for plural entries, a string (used for ``msgstr[0]``) or a list.
Exit status of ``check`` is 1 when there is anything to fix.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def gettext_noop(message: str) -> str:
    """Marker for makemessages (same keyword as Django's); this script needs no Django."""
    return message


def ngettext_lazy(singular: str, plural: str, number) -> tuple[str, str]:
    """Marker for makemessages: a plural msgid pair."""
    return (singular, plural)

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Strings that Django 5.2 and django-import-export show our staff but ship no zh_Hans text for.
# Listed here only so that ``makemessages`` (which skips every ``locale/`` directory) copies them
# into our django.po; LOCALE_PATHS is looked up before the packages' own catalogues, so our
# translation fills the gap. Drop an entry once upstream translates it.
UPSTREAM_GAPS = [
    # django.contrib.admin: admin/app_list.html, user add form, login, password reset
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
    # django core: a foreign key pointing at something that does not exist
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    # django-import-export: what a clerk sees while importing or exporting
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. "
        "Ensure you have chosen the correct format for the file."
    ),
    gettext_noop(
        "No valid data to import. Ensure your file has the correct headers or data for import."
    ),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Resource"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop(
        "The following fields are declared in 'import_id_fields' but are not present in the "
        "file headers: %s"
    ),
    gettext_noop("Select all"),
    gettext_noop("Value could not be parsed."),
    # django.contrib.auth password validation (adding a staff user in the admin)
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "n",
    ),
    # django-import-export export form
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len"),
]


PLACEHOLDER_RE = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdifr]|\{[A-Za-z_0-9.]*(?:![rsa])?(?::[^{}]*)?\}")


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)  # lines starting with '#' except flags
    flags: list[str] = field(default_factory=list)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index -> text; index 0 for singular
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(v for v in self.msgstr.values())


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def parse(path: Path = PO_PATH) -> list[Entry]:
    entries: list[Entry] = []
    cur = Entry()
    target: tuple[str, int | None] | None = None
    seen_anything = False

    def flush():
        nonlocal cur, seen_anything, target
        if seen_anything:
            entries.append(cur)
        cur = Entry()
        seen_anything = False
        target = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            cur.obsolete = True
            seen_anything = True
            continue
        if line.startswith("#,"):
            if target is not None:
                flush()
            cur.flags.extend(f.strip() for f in line[2:].split(",") if f.strip())
            seen_anything = True
            continue
        if line.startswith("#"):
            if target is not None:
                flush()
            cur.comments.append(raw)
            seen_anything = True
            continue
        seen_anything = True
        if line.startswith("msgctxt "):
            cur.msgctxt = _unquote(line[8:])
            target = ("msgctxt", None)
        elif line.startswith("msgid_plural "):
            cur.msgid_plural = _unquote(line[13:])
            target = ("msgid_plural", None)
        elif line.startswith("msgid "):
            if target is not None and target[0] == "msgstr":
                flush()
                seen_anything = True
            cur.msgid = _unquote(line[6:])
            target = ("msgid", None)
        elif line.startswith("msgstr["):
            idx = int(line[7 : line.index("]")])
            cur.msgstr[idx] = _unquote(line[line.index("]") + 1 :].strip())
            target = ("msgstr", idx)
        elif line.startswith("msgstr "):
            cur.msgstr[0] = _unquote(line[7:])
            target = ("msgstr", 0)
        elif line.startswith('"'):
            text = _unquote(line)
            assert target is not None, f"continuation without keyword: {raw!r}"
            kind, idx = target
            if kind == "msgstr":
                cur.msgstr[idx] += text
            elif kind == "msgid":
                cur.msgid += text
            elif kind == "msgid_plural":
                cur.msgid_plural = (cur.msgid_plural or "") + text
            else:
                cur.msgctxt = (cur.msgctxt or "") + text
        else:
            raise ValueError(f"cannot parse line: {raw!r}")
    flush()
    return entries


def _quote(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '"' + out.replace("\n", "\\n") + '"'


def _emit(keyword: str, text: str) -> list[str]:
    if "\n" in text.rstrip("\n") or len(text) > 70:
        parts = re.split(r"(?<=\n)", text)
        return [f'{keyword} ""'] + [_quote(p) for p in parts if p]
    return [f"{keyword} {_quote(text)}"]


def dump(entries: list[Entry], path: Path = PO_PATH) -> None:
    chunks = []
    for e in entries:
        lines = list(e.comments)
        if e.obsolete:
            continue  # obsolete entries are dropped on write
        if e.flags:
            lines.append("#, " + ", ".join(e.flags))
        if e.msgctxt is not None:
            lines += _emit("msgctxt", e.msgctxt)
        lines += _emit("msgid", e.msgid)
        if e.msgid_plural is not None:
            lines += _emit("msgid_plural", e.msgid_plural)
            for idx in sorted(e.msgstr) or [0]:
                lines += _emit(f"msgstr[{idx}]", e.msgstr.get(idx, ""))
        else:
            lines += _emit("msgstr", e.msgstr.get(0, ""))
        chunks.append("\n".join(lines))
    path.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER_RE.findall(text))


def problems(entries: list[Entry]) -> list[str]:
    out = []
    for e in entries:
        if e.obsolete or not e.msgid:
            continue
        where = e.msgid[:60]
        if e.fuzzy:
            out.append(f"fuzzy: {where!r}")
        if not e.translated:
            out.append(f"untranslated: {where!r}")
            continue
        source_ph = placeholders(e.msgid)
        for idx, text in e.msgstr.items():
            if idx == 0 and e.msgid_plural is None and placeholders(text) != source_ph:
                out.append(f"placeholders differ: {where!r}: {source_ph} vs {placeholders(text)}")
            if e.msgid_plural is not None:
                # the single zh form must keep every named placeholder of the plural msgid
                plural_ph = {p for p in placeholders(e.msgid_plural) if p.startswith(("%(", "{"))}
                if not plural_ph <= set(placeholders(text)):
                    out.append(f"plural placeholders missing: {where!r}")
    return out


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "check"
    entries = parse()
    if cmd == "check":
        found = problems(entries)
        for p in found:
            print(p)
        total = sum(1 for e in entries if e.msgid and not e.obsolete)
        print(f"{total} entries, {len(found)} problems")
        return 1 if found else 0
    if cmd == "todo":
        todo = {e.msgid: (e.msgstr.get(0, "") if e.fuzzy else "") for e in entries
                if e.msgid and not e.obsolete and (e.fuzzy or not e.translated)}
        Path(argv[2]).write_text(json.dumps(todo, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{len(todo)} entries to translate -> {argv[2]}")
        return 0
    if cmd == "apply":
        mapping = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        applied = 0
        for e in entries:
            if e.msgid in mapping and mapping[e.msgid]:
                value = mapping[e.msgid]
                if e.msgid_plural is not None:
                    values = value if isinstance(value, list) else [value]
                    e.msgstr = dict(enumerate(values))
                else:
                    e.msgstr = {0: value}
                if "fuzzy" in e.flags:
                    e.flags.remove("fuzzy")
                e.comments = [c for c in e.comments if not c.startswith("#|")]
                applied += 1
        # header: zh has one plural form
        for e in entries:
            if e.msgid == "" and 0 in e.msgstr:
                e.msgstr[0] = re.sub(r"Plural-Forms: [^\n]*", "Plural-Forms: nplurals=1; plural=0;", e.msgstr[0])
                e.msgstr[0] = re.sub(r"Language: [^\n]*", "Language: zh_Hans", e.msgstr[0])
                e.msgstr[0] = re.sub(r"Language-Team: [^\n]*", "Language-Team: Liuzhuan <ops@liuzhuan.example>", e.msgstr[0])
                e.msgstr[0] = re.sub(r"Project-Id-Version: [^\n]*", "Project-Id-Version: liuzhuan", e.msgstr[0])
                e.msgstr[0] = re.sub(r"Last-Translator: [^\n]*", "Last-Translator: Liuzhuan team", e.msgstr[0])
                e.msgstr[0] = re.sub(r"PO-Revision-Date: [^\n]*",
                                     "PO-Revision-Date: " + time.strftime("%Y-%m-%d %H:%M%z"), e.msgstr[0])
                e.comments = ["# Liuzhuan back office: Simplified Chinese (zh-hans) messages.",
                              "# Fill with scripts/i18n_check.py (todo / apply), then compilemessages."]
                if "fuzzy" in e.flags:
                    e.flags.remove("fuzzy")
        dump(entries)
        print(f"applied {applied} translations")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
