#!/usr/bin/env bash
# Keeps the code blocks of docs/*.md identical to the example programs they come from.
#
# In a doc, a block between
#     <!-- snippet: examples/c/provision.c#connect -->
#     ```c
#     ...
#     ```
#     <!-- /snippet -->
# is the region `connect` of examples/c/provision.c: the lines between `// region: connect`
# and the next `// endregion` (`# region:` / `# endregion` in Python), without those marker
# lines and with the region's common indentation removed. A name without `#region` takes the
# whole file.
#
#   scripts/docs-snippets.sh           check: exit 1 with a diff when a block differs
#   scripts/docs-snippets.sh --write   rewrite the blocks from the sources
#
# The last line is "docs-snippets: N passed, N failed" (one count per block).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=check
case "${1:-}" in
"") ;;
--write) mode=write ;;
*)
    echo "usage: $0 [--write]" >&2
    exit 2
    ;;
esac

exec python3 - "$mode" docs/*.md <<'PY'
import difflib
import pathlib
import re
import sys

mode, docs = sys.argv[1], sys.argv[2:]
OPEN = re.compile(r"^<!-- snippet: (?P<path>[^#\s]+)(?:#(?P<region>[\w-]+))? -->$")
CLOSE = "<!-- /snippet -->"
REGION = re.compile(r"^\s*(?://|#)\s*region:\s*(?P<name>[\w-]+)\s*$")
END = re.compile(r"^\s*(?://|#)\s*endregion\b")
FENCE_LANG = {".c": "c", ".h": "c", ".py": "python", ".cs": "csharp", ".rs": "rust"}


class SnippetError(Exception):
    pass


def region(path, name):
    """The lines of region `name` of `path` (the whole file without markers when None)."""
    source = pathlib.Path(path)
    if not source.is_file():
        raise SnippetError(f"{path}: no such file")
    lines = source.read_text(encoding="utf-8").splitlines()
    if name is None:
        body = [l for l in lines if not REGION.match(l) and not END.match(l)]
    else:
        body, inside, found = [], False, False
        for line in lines:
            m = REGION.match(line)
            if m and m.group("name") == name:
                if found:
                    raise SnippetError(f"{path}: region {name} appears twice")
                inside = found = True
                continue
            if inside and END.match(line):
                inside = False
                continue
            if inside and not REGION.match(line):
                body.append(line)
        if not found:
            raise SnippetError(f"{path}: no region {name}")
        if inside:
            raise SnippetError(f"{path}: region {name} has no endregion")
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return [l[indent:] if l.strip() else "" for l in body]


def render(path, name):
    lang = FENCE_LANG.get(pathlib.Path(path).suffix, "")
    return ["```" + lang, *region(path, name), "```"]


passed = failed = 0
for doc in docs:
    lines = pathlib.Path(doc).read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = OPEN.match(line.strip())
        i += 1
        if not m:
            continue
        end = next((j for j in range(i, len(lines)) if lines[j].strip() == CLOSE), None)
        where = f"{doc}:{i}"
        if end is None:
            print(f"{where}: snippet without {CLOSE}")
            failed += 1
            continue
        current = lines[i:end]
        try:
            wanted = render(m.group("path"), m.group("region"))
        except SnippetError as e:
            print(f"{where}: {e}")
            failed += 1
            out.extend(current)
            i = end
            continue
        if current == wanted:
            passed += 1
        elif mode == "write":
            print(f"{where}: rewrote {m.group(0)[len('<!-- snippet: '):-len(' -->')]}")
            passed += 1
        else:
            print(f"{where}: differs from its source (run scripts/docs-snippets.sh --write)")
            sys.stdout.writelines(
                difflib.unified_diff(
                    [l + "\n" for l in current],
                    [l + "\n" for l in wanted],
                    f"{doc} (line {i + 1})",
                    m.group(0)[len("<!-- snippet: "):-len(" -->")],
                )
            )
            failed += 1
        out.extend(wanted if mode == "write" else current)
        i = end
    if mode == "write":
        text = "\n".join(out) + "\n"
        if text != pathlib.Path(doc).read_text(encoding="utf-8"):
            pathlib.Path(doc).write_text(text, encoding="utf-8")

print(f"docs-snippets: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
