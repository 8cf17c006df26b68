"""Period reports (期间报表): what a county, a township or a community has to write for a month,
a quarter, a year or any run of days — cards, departments' work, sources, residents served and
each admitted module's figures — as data, and as a workbook."""
