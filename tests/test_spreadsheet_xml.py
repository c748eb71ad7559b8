"""A workbook whose XML declares entities (billion laughs) or an external entity (XXE) is refused before any XML
parser reads it, with one French line naming the file and the part of the workbook (issue 26)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from pipelines.contracts.registry import ReadOptions
from pipelines.sources.loaders import spreadsheet
from pipelines.sources.parsing import InputError

LABEL = "insee_epci/Intercommunalite_Metropole_au_01-01-2024.zip (member Intercommunalite.xlsx)"
OPTIONS = ReadOptions(separator=";", decimal_comma=True, sheet="EPCI", skip_rows=0)

LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE sst [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>"
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>&lol9;</t></si></sst>"
)
XXE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheets><sheet name="&xxe;" sheetId="1" r:id="rId1" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></sheets></workbook>'
)


def workbook(patch: dict[str, bytes] | None = None) -> bytes:
    """An XLSX written by openpyxl (sheet EPCI: a header and two rows, text in shared strings), with some of
    its parts replaced."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "EPCI"
    for row in (
        ["EPCI", "LIBEPCI"],
        ["200046977", "Métropole de Lyon"],
        ["200054781", "Métropole du Grand Paris"],
    ):
        sheet.append(row)
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        names = src.namelist()
        for name in names:
            dst.writestr(name, (patch or {}).get(name, src.read(name)))
        for name, content in (patch or {}).items():
            if name not in names:
                dst.writestr(name, content)
    return out.getvalue()


def test_a_clean_workbook_is_read():
    table = spreadsheet.read_sheet(workbook(), OPTIONS, LABEL)
    assert table.frame["LIBEPCI"].to_list() == ["Métropole de Lyon", "Métropole du Grand Paris"]


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("xl/sharedStrings.xml", LAUGHS.encode("utf-8")),  # billion laughs: 10^9 "lol" once expanded
        ("xl/workbook.xml", XXE.encode("utf-8")),  # an external entity reading a local file
        ("xl/sharedStrings.xml", LAUGHS.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")),
        ("xl/worksheets/sheet1.xml", XXE.replace("DOCTYPE", "doctype").encode("utf-8")),
    ],
    ids=["billion-laughs", "xxe", "utf-16", "lower-case"],
)
def test_entity_declarations_are_refused_before_parsing(part, content, monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook reached openpyxl")

    monkeypatch.setattr(openpyxl, "load_workbook", no_parsing)
    with pytest.raises(InputError) as err:
        spreadsheet.read_sheet(workbook({part: content}), OPTIONS, LABEL)
    message = str(err.value)
    assert message.startswith(f"{LABEL} : la partie '{part}' du classeur déclare")
    assert "classeur refusé" in message and "\n" not in message and "Traceback" not in message
    assert err.value.file == LABEL


def test_a_declaration_split_across_read_blocks_is_found(monkeypatch):
    monkeypatch.setattr(spreadsheet, "_SCAN_BLOCK", 7)  # `<!DOCTYPE` spans two blocks whatever its offset
    with pytest.raises(InputError, match="xl/sharedStrings.xml"):
        spreadsheet.read_sheet(workbook({"xl/sharedStrings.xml": LAUGHS.encode("utf-8")}), OPTIONS, LABEL)
