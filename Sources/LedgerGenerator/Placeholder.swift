// LedgerGenerator: under construction
