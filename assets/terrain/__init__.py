"""Terrain observations (anonymised qualitative records of local actors), files of the data folder's terrain/.

Any `.csv` or `.xlsx` file there is read (several per edition: one per structure or per collection); a year at the
end of the name (`permanences_2025.csv`) labels its edition, else the edition is 0 ("non datée": the periods of the
marts come from each observation's date, not from the edition). The loader (`pipelines/domain/terrain.py`, registered as
"terrain") applies the anonymisation gate before anything is stored; the entry is declared there so that
`qpv terrain import` does not load the Dagster definitions.
"""

from pipelines.domain.terrain import SOURCE  # importing it registers the "terrain" loader

SOURCES = [SOURCE]
