"""Babel extractor for the project's messages (babel.cfg; docs/messages.md).

Besides the calls Babel finds itself (``tr``, ``ntr``, ``ptr`` with the keywords passed to it), it takes
the CLI's help texts, which are plain English strings where typer wants them: the docstring of every
function registered with ``@command(...)``, every ``help="..."`` keyword, the help of ``group(name, help)``,
the app's ``HELP`` and the framework's words listed in ``FRAMEWORK_MESSAGES`` (coop/help_text.py).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import IO, Any

from babel.messages.extract import extract_python


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def help_texts(source: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            registered = any(isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "command"
                             for d in node.decorator_list)
            doc = ast.get_docstring(node, clean=False)
            if registered and doc:
                yield node.lineno, inspect.cleandoc(doc)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                text = _literal(keyword.value) if keyword.arg == "help" else None
                if text:
                    yield keyword.value.lineno, inspect.cleandoc(text)
            if isinstance(node.func, ast.Name) and node.func.id == "group" and len(node.args) >= 2:
                text = _literal(node.args[1])
                if text:
                    yield node.args[1].lineno, inspect.cleandoc(text)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name == "HELP" and _literal(node.value):
                yield node.lineno, inspect.cleandoc(_literal(node.value))
            elif name == "FRAMEWORK_MESSAGES" and isinstance(node.value, ast.Tuple):
                for item in node.value.elts:
                    if _literal(item):
                        yield item.lineno, _literal(item)


def extract(fileobj: IO[bytes], keywords: dict[str, Any], comment_tags: list[str],
            options: dict[str, Any]) -> Iterator[tuple[int, str, Any, list[str]]]:
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for lineno, text in help_texts(source.decode(options.get("encoding", "utf-8"))):
        yield lineno, "tr", text, []
