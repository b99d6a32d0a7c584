"""CSV import: what a file may hold (spec), reading it (parse), checking and writing it (load) (docs/IMPORT.md)."""
