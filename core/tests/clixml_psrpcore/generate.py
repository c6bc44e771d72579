"""Writes the CLIXML fixtures beside this script with psrpcore, an independent serializer.

    python -m venv venv && venv/bin/pip install psrpcore==0.3.1 && venv/bin/python generate.py

Each fixture is one `<Objs>` document as psrpcore's `serialize_clixml` writes it. The Rust test
core/tests/clixml_psrpcore.rs decodes them and checks what they hold.
"""

import pathlib

from psrpcore.types import (
    ClixmlStream,
    ProgressRecord,
    ProgressRecordType,
    PSCustomObject,
    PSList,
    PSObject,
    add_note_property,
    serialize_clixml,
)

HERE = pathlib.Path(__file__).resolve().parent


class _NoCipher:
    """No SecureString is serialized here."""


def write(name: str, value) -> None:
    (HERE / name).write_text(serialize_clixml(value, _NoCipher()), encoding="utf-8")


def self_reference():
    """An Exchange ADObjectId whose DomainId is the object itself."""
    obj = PSObject()
    obj.PSObject.type_names = [
        "Deserialized.Microsoft.Exchange.Data.Directory.ADObjectId",
        "Deserialized.System.Object",
    ]
    obj.PSObject.to_string = "contoso.com"
    add_note_property(obj, "Name", "contoso.com")
    add_note_property(obj, "DomainId", obj)
    return obj


def drive_cycle():
    """PowerShell's PSDrive -> Provider -> Drives -> the same PSDrive."""
    drive = PSObject()
    drive.PSObject.type_names = ["Deserialized.System.Management.Automation.PSDriveInfo"]
    add_note_property(drive, "Name", "C")
    provider = PSObject()
    provider.PSObject.type_names = ["Deserialized.System.Management.Automation.ProviderInfo"]
    add_note_property(provider, "Name", "FileSystem")
    add_note_property(provider, "Drives", PSList([drive]))
    add_note_property(drive, "Provider", provider)
    return drive


def progress():
    return ProgressRecord(
        Activity="Copying <files> & _x0041_",
        ActivityId=3,
        CurrentOperation="copy a.txt",
        ParentActivityId=1,
        PercentComplete=42,
        RecordType=ProgressRecordType.Processing,
        SecondsRemaining=7,
        StatusDescription="3 of 7\r\ndone",
    )


def completed():
    return ProgressRecord(
        Activity="Preparing modules for first use.",
        ActivityId=0,
        ParentActivityId=-1,
        PercentComplete=-1,
        RecordType=ProgressRecordType.Completed,
        SecondsRemaining=-1,
        StatusDescription=" ",
    )


def main() -> None:
    write("self_reference.xml", self_reference())
    write("drive_cycle.xml", drive_cycle())
    write("progress.xml", [progress(), completed()])
    wrapper = PSCustomObject(SourceId=1, Record=completed())
    write(
        "streams.xml",
        [
            (wrapper, ClixmlStream.PROGRESS),
            ("boom\r\n", ClixmlStream.ERROR),
            ("careful", ClixmlStream.WARNING),
            (5, ClixmlStream.OUTPUT),
        ],
    )


if __name__ == "__main__":
    main()
