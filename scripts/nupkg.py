#!/usr/bin/env python3
"""Writes a NuGet package (an OPC zip) from a payload directory and the package metadata.

Used by scripts/package.sh: the payload holds lib/, runtimes/ and the readme; this adds the
nuspec, [Content_Types].xml, the package relationships and the core properties, as `nuget pack`
does. Entries are sorted and dated 1980-01-01 so that the same inputs give the same bytes.
"""

import argparse
import hashlib
import os
import sys
import zipfile
from xml.sax.saxutils import escape, quoteattr

NUSPEC_NS = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"


def nuspec(a):
    repo = ""
    if a.repository_url or a.repository_commit:
        attrs = ' type="git"'
        if a.repository_url:
            attrs += " url=%s" % quoteattr(a.repository_url)
        if a.repository_commit:
            attrs += " commit=%s" % quoteattr(a.repository_commit)
        repo = "    <repository%s />\n" % attrs
    project_url = (
        "    <projectUrl>%s</projectUrl>\n" % escape(a.repository_url) if a.repository_url else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<package xmlns="%s">\n'
        "  <metadata>\n"
        "    <id>%s</id>\n"
        "    <version>%s</version>\n"
        "    <authors>%s</authors>\n"
        '    <license type="expression">%s</license>\n'
        "    <readme>%s</readme>\n"
        "%s"
        "    <description>%s</description>\n"
        "    <tags>%s</tags>\n"
        "%s"
        "    <dependencies>\n"
        '      <group targetFramework=".NETStandard2.0" />\n'
        "    </dependencies>\n"
        "  </metadata>\n"
        "</package>\n"
    ) % (
        NUSPEC_NS,
        escape(a.id),
        escape(a.version),
        escape(a.authors),
        escape(a.license),
        escape(a.readme),
        project_url,
        escape(a.description),
        escape(a.tags),
        repo,
    )


def content_types(extensions):
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
        '  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />',
        '  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />',
    ]
    for ext in sorted(extensions - {"rels", "psmdcp"}):
        lines.append('  <Default Extension="%s" ContentType="application/octet" />' % ext)
    lines.append("</Types>")
    return "\n".join(lines) + "\n"


def relationships(nuspec_name, props_name):
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\n'
        '  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/%s" Id="R1" />\n'
        '  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/%s" Id="R2" />\n'
        "</Relationships>\n"
    ) % (nuspec_name, props_name)


def core_properties(a):
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">\n'
        "  <dc:creator>%s</dc:creator>\n"
        "  <dc:description>%s</dc:description>\n"
        "  <dc:identifier>%s</dc:identifier>\n"
        "  <version>%s</version>\n"
        "  <keywords>%s</keywords>\n"
        "  <lastModifiedBy>scripts/package.sh</lastModifiedBy>\n"
        "</coreProperties>\n"
    ) % (escape(a.authors), escape(a.description), escape(a.id), escape(a.version), escape(a.tags))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ["out", "payload", "id", "version", "license", "authors", "readme", "description"]:
        p.add_argument("--" + name, required=True)
    p.add_argument("--tags", default="")
    p.add_argument("--repository-url", default="")
    p.add_argument("--repository-commit", default="")
    a = p.parse_args()

    files = []
    for dirpath, _, names in os.walk(a.payload):
        for n in names:
            full = os.path.join(dirpath, n)
            files.append((os.path.relpath(full, a.payload).replace(os.sep, "/"), full))
    files.sort()
    if not any(rel == a.readme for rel, _ in files):
        sys.exit("nupkg: the readme %s is not in the payload" % a.readme)

    nuspec_name = a.id + ".nuspec"
    spec = nuspec(a)
    props_name = "package/services/metadata/core-properties/%s.psmdcp" % hashlib.sha1(
        spec.encode()
    ).hexdigest()
    extensions = {rel.rsplit(".", 1)[-1] for rel, _ in files if "." in rel.rsplit("/", 1)[-1]}
    extensions.add("nuspec")

    def put(z, name, data):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, data)

    tmp = a.out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as z:
        put(z, "_rels/.rels", relationships(nuspec_name, props_name))
        put(z, nuspec_name, spec)
        for rel, full in files:
            with open(full, "rb") as f:
                put(z, rel, f.read())
        put(z, props_name, core_properties(a))
        put(z, "[Content_Types].xml", content_types(extensions))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
