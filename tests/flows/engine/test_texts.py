"""The message catalogs: every id the code uses has a text, every text is used, all compile, and
every id is named literally where the code chooses it, so extraction finds them all."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flows.engine.texts import DOMAIN, EXTRACT_KEYWORDS, catalog, po_path, t, tn, translations

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("flows", "bot")
# each id-taking call's id arguments, counted from 0 (EXTRACT_KEYWORDS counts from 1)
ID_ARGS = {name: tuple(i - 1 for i in spec or (1,)) for name, spec in EXTRACT_KEYWORDS.items()}


def _used_ids() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _, _ in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=EXTRACT_KEYWORDS
        ):
            ids = (message,) if isinstance(message, str) else message
            for msgid in ids:
                if msgid:
                    used.setdefault(msgid, []).append(f"{source}/{filename}:{lineno}")
    return used


USED = _used_ids()
EN = catalog("en")


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _marked(node: ast.expr, passed: frozenset[str]) -> bool:
    """An id extraction sees, or one read from a table of N_ entries: N_("..."), TABLE[value],
    label.ask, a wrapper's own id parameter, or a choice between those."""
    if isinstance(node, ast.Call):
        return _callee(node) == "N_" and len(node.args) == 1 and _literal(node.args[0])
    if isinstance(node, ast.IfExp):
        return _marked(node.body, passed) and _marked(node.orelse, passed)
    if isinstance(node, ast.Name):
        return node.id in passed
    return isinstance(node, ast.Subscript | ast.Attribute)


def _literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _id_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The parameters of an id-taking wrapper (Context.t, notify_person...) that hold the id."""
    names = [a.arg for a in function.args.posonlyargs + function.args.args if a.arg != "self"]
    return {names[i] for i in ID_ARGS.get(function.name, ()) if i < len(names)}


def built_ids(node: ast.AST, passed: frozenset[str] = frozenset()) -> Iterator[ast.Call]:
    """The calls taking a message id whose id is built at run time or chosen elsewhere: neither
    a string literal (what extraction reads) nor `_marked`."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        passed = passed | _id_parameters(node)
    if isinstance(node, ast.Call):
        for i in ID_ARGS.get(_callee(node) or "", ()):
            arg = node.args[i] if i < len(node.args) else None  # None: by keyword, unseen
            if not _literal(arg) and (arg is None or not _marked(arg, passed)):
                yield node
    if isinstance(node, ast.JoinedStr):  # extraction skips calls inside an f-string
        yield from (
            call
            for call in ast.walk(node)
            if isinstance(call, ast.Call) and _callee(call) in ID_ARGS
        )
        return
    for child in ast.iter_child_nodes(node):
        yield from built_ids(child, passed)


def test_every_message_id_is_named_literally_where_it_is_chosen() -> None:
    built = [
        f"{path.relative_to(ROOT)}:{call.lineno}: {ast.unparse(call)[:80]}"
        for source in SOURCES
        for path in sorted((ROOT / source).rglob("*.py"))
        for call in built_ids(ast.parse(path.read_text(), str(path)))
    ]
    assert not built, "ids built at run time (name each, or N_ in a table):\n" + "\n".join(built)


@pytest.mark.parametrize(
    "source",
    [
        'ctx.t(f"ci_light_{light}")',
        't("alert_" + severity, locale)',
        "ctx.t(key)",
        'ctx.t("a" if x else "b")',
        "notify_person(ctx, person, key, about=[1])",
        't_for(person, name.removeprefix("x"))',
        "f\"{name}: {ctx.t('av_off')}\"",
        "def helper(key):\n    return ctx.t(key)",
        "N_(name)",
        'ctx.t(key="ci_light_green")',
    ],
)
def test_the_check_finds_an_id_built_at_run_time(source: str) -> None:
    assert len(list(built_ids(ast.parse(source)))) == 1


@pytest.mark.parametrize(
    "source",
    [
        'ctx.t("ci_light_green")',
        'ctx.tn("ci_streak", "ci_streak_plural", days)',
        "ctx.t(LIGHT_TEXTS[light])",
        "ctx.t(label(field).ask)",
        'notify_person(ctx, person, N_("a") if x else N_("b"))',
        "def t_for(person, key):\n    return t(key, person.locale)",
        "def notify_person(ctx, person, key):\n    t(key, person.locale)",
    ],
)
def test_the_check_passes_literal_and_marked_ids(source: str) -> None:
    assert not list(built_ids(ast.parse(source)))


def test_every_message_id_in_the_code_has_an_english_text() -> None:
    missing = {msgid: where for msgid, where in USED.items() if msgid not in EN}
    assert not missing, f"message ids without a text in {po_path('en')}: {missing}"


def test_every_english_text_is_used_by_the_code() -> None:
    unused = set(EN) - set(USED)
    assert not unused, f"texts no code uses (or used without N_ in a table): {unused}"


def test_the_catalogs_parse_and_compile_without_errors(tmp_path: Path) -> None:
    for po in sorted(po_path("en").parents[2].glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fp:
            parsed = read_po(fp, abort_invalid=True)
        errors = list(parsed.check())
        assert not errors, f"{po}: {errors}"
        with (tmp_path / f"{po.parent.parent.name}.mo").open("wb") as fp:
            write_mo(fp, parsed)


def test_every_text_is_a_format_template_with_plain_field_names() -> None:
    for msgid, template in EN.items():
        assert template, f"{msgid} has no text"
        for _, field, _, conversion in string.Formatter().parse(template):
            if field is not None:
                assert field.isidentifier(), f"{msgid}: {{{field}}}"
                assert not conversion, msgid


def test_t_reads_the_catalog_and_falls_back_to_english() -> None:
    assert t("unknown_command", command="help") == EN["unknown_command"].format(command="help")
    assert t("unknown_command", "xx", command="help") == t("unknown_command", command="help")
    assert translations("en").gettext("error") == EN["error"]
    with pytest.raises(KeyError):
        t("no_such_message_id", "xx")


def test_tn_picks_the_plural_form_for_the_count() -> None:
    assert tn("ci_streak", "ci_streak_plural", 1, days=1) == "Streak: 1 day. A good start!"
    assert tn("ci_streak", "ci_streak_plural", 3, "xx", days=3) == "Streak: 3 days in a row."
    assert tn("clients_routine", "clients_routine_plural", 0, count=0).startswith("0 routine flags")
    with pytest.raises(KeyError):
        tn("no_such_message_id", "no_such_message_id_plural", 2)


def test_plural_entries_have_every_form_of_their_language() -> None:
    for po in sorted(po_path("en").parents[2].glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fp:
            parsed = read_po(fp)
        for message in parsed:
            forms = message.string
            if message.pluralizable and isinstance(forms, tuple | list) and any(forms):
                assert len(forms) == parsed.num_plurals, (po, message.id)


def test_make_messages_extracts_with_the_same_keywords() -> None:
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(line for line in makefile.splitlines() if line.startswith("KEYWORDS :="))
    flags = {flag for flag in line.split(":=", 1)[1].split() if flag != "-k"}
    expected = {
        name if spec is None else f"{name}:{','.join(map(str, spec))}"
        for name, spec in EXTRACT_KEYWORDS.items()
    }
    assert flags == expected
