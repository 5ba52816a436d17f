# Placeholder: writes an empty table (the helper embedding the schemas replaces this file).
file(WRITE ${OUT} "// generated\n")
