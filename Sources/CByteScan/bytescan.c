// The helpers are `static inline` in include/bytescan.h; a C target needs a source file.
#include "bytescan.h"
