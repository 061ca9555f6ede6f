"""Speed mechanics behind one boundary: processes, file-system tricks and the Pagefind driver."""
